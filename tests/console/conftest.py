"""A real `pdex serve --demo` process on a fresh database of the suite's engine, and one
headless Chromium (Debian's package, driven by Playwright) for the whole module.

Screenshots and the per-page figures go to `PDEX_TEST_OUTPUT` (default `.test-output/` at
the repository root) under `console-<engine>/`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
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


@pytest.fixture(scope="module")
def server(settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("console")
    url, pg_name = _fresh_database(settings, tmp)
    port = free_port()
    env = {
        **os.environ,
        "PDEX_DATABASE_URL": url,
        "PDEX_DATA_DIR": str(tmp),
        "PDEX_TOKEN_SECRET": settings.token_secret or "",
        "PDEX_CHECKPOINT_INTERVAL": "1",
    }
    env.pop("PDEX_OIDC_ISSUER", None)
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
