"""A real `pdex serve --demo` process on a fresh database of the suite's engine, and one
headless Chromium (Debian's package, driven by Playwright) for the whole module.

Screenshots and the per-page figures go to `PDEX_TEST_OUTPUT` (default `.test-output/` at
the repository root) under `console-<engine>/`.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("PDEX_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    base: str
    tokens: dict[str, str]
    engine: str

    def graphql(self, role: str, query: str, **variables: object) -> dict:
        response = httpx.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.tokens[role]}"},
            timeout=30,
        )
        body = response.json()
        assert "errors" not in body, body
        return body["data"]


def in_thread(coroutine) -> None:
    """Runs `coroutine` to the end on a loop of its own (the suite's loop may be running)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def _fresh_database(settings, tmp: Path) -> tuple[str, str | None]:
    """A new, empty database URL of the suite's engine (and the PostgreSQL name to drop)."""
    if settings.is_sqlite:
        return f"sqlite+aiosqlite:///{tmp / 'console.sqlite3'}", None
    import asyncpg

    base = settings.database_url.rpartition("/")[0]
    name = f"pdex_console_{uuid.uuid4().hex[:10]}"
    admin_url = base.replace("postgresql+asyncpg", "postgresql") + "/postgres"

    async def create() -> None:
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()

    in_thread(create())
    return f"{base}/{name}", name


def _drop_database(settings, name: str) -> None:
    import asyncpg

    base = settings.database_url.rpartition("/")[0]

    async def drop() -> None:
        admin = await asyncpg.connect(
            base.replace("postgresql+asyncpg", "postgresql") + "/postgres"
        )
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    in_thread(drop())


class FakeIssuer:
    """A minimal OpenID provider for the console's authorization-code + PKCE flow: discovery,
    an authorize endpoint that approves at once, and a token endpoint that checks the PKCE
    verifier (RFC 7636 S256) before handing out `token` (set once the server is up)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = ""
        self.requests: list[dict] = []
        self.codes: dict[str, dict] = {}
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def reply(self, status: int, body: dict | None = None, location: str = "") -> None:
                self.send_response(status)
                self.send_header("Access-Control-Allow-Origin", "*")
                if location:
                    self.send_header("Location", location)
                data = json.dumps(body or {}).encode()
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/.well-known/openid-configuration":
                    self.reply(
                        200,
                        {
                            "issuer": issuer.url,
                            "authorization_endpoint": f"{issuer.url}/authorize",
                            "token_endpoint": f"{issuer.url}/token",
                        },
                    )
                elif url.path == "/authorize":
                    issuer.requests.append({"authorize": query})
                    code = uuid.uuid4().hex
                    issuer.codes[code] = query
                    back = urllib.parse.urlencode({"code": code, "state": query.get("state", "")})
                    self.reply(302, location=f"{query['redirect_uri']}?{back}")
                else:
                    self.reply(404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                issuer.requests.append({"token": form})
                asked = issuer.codes.pop(form.get("code", ""), None)
                digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                if (
                    asked is None
                    or form.get("grant_type") != "authorization_code"
                    or asked.get("code_challenge_method") != "S256"
                    or asked.get("code_challenge") != challenge
                    or asked.get("redirect_uri") != form.get("redirect_uri")
                    or asked.get("client_id") != form.get("client_id")
                ):
                    self.reply(400, {"error": "invalid_grant"})
                    return
                self.reply(200, {"access_token": issuer.token, "token_type": "Bearer"})

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def issuer() -> Iterator[FakeIssuer]:
    fake = FakeIssuer()
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def server(settings, issuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("console")
    url, pg_name = _fresh_database(settings, tmp)
    port = free_port()
    env = {
        **os.environ,
        "PDEX_DATABASE_URL": url,
        "PDEX_DATA_DIR": str(tmp),
        "PDEX_TOKEN_SECRET": settings.token_secret or "",
        "PDEX_CHECKPOINT_INTERVAL": "1",
        # The console offers OIDC sign-in; with no JWKS URL pdex still verifies its own tokens,
        # so the fake issuer hands out the demo citizen's.
        "PDEX_OIDC_ISSUER": issuer.url,
    }
    env.pop("PDEX_OIDC_JWKS_URL", None)
    pdex = Path(sys.executable).parent / "pdex"
    log = tmp / "server.log"
    proc = subprocess.Popen(
        [str(pdex), "serve", "--host", "127.0.0.1", "--port", str(port), "--demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    try:
        tokens: dict[str, str] = {}
        assert proc.stdout is not None
        for line in proc.stdout:
            match = re.match(r"\s+(\w+)\s+Authorization: Bearer (\S+)", line)
            if match:
                tokens[match.group(1)] = match.group(2)
            if len(tokens) == 6:
                break
        assert len(tokens) == 6, log.read_text()[-2000:]
        issuer.token = tokens["data_subject"]
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server never became ready"
            time.sleep(0.2)
        yield Server(base, tokens, "sqlite" if settings.is_sqlite else "postgresql")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if pg_name:
            _drop_database(settings, pg_name)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def output(server: Server) -> Path:
    root = Path(os.environ.get("PDEX_TEST_OUTPUT") or ROOT / ".test-output")
    folder = root / f"console-{server.engine}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Figures:
    """Per page: GraphQL requests and milliseconds to interactive, as the console counted
    them; written to figures.json beside the screenshots (recorded, never asserted on time)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[dict] = json.loads(path.read_text()) if path.exists() else []

    def add(self, test: str, history: list[dict]) -> None:
        self.rows.extend({"test": test, **row} for row in history)
        self.path.write_text(json.dumps(self.rows, indent=1))


@pytest.fixture(scope="module")
def figures(output: Path) -> Figures:
    path = output / "figures.json"
    path.unlink(missing_ok=True)
    return Figures(path)
