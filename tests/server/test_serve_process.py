"""The real thing: `pdex serve` as a process, queried over TCP, stopped with SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_pdex_serve_process(settings, tmp_path: Path):
    port = free_port()
    log = tmp_path / "server.log"
    env = {
        **os.environ,
        "PDEX_DATABASE_URL": settings.database_url,
        "PDEX_DATA_DIR": str(tmp_path),
        "PDEX_TOKEN_SECRET": settings.token_secret or "",
    }
    pdex = Path(sys.executable).parent / "pdex"
    proc = subprocess.Popen(
        [str(pdex), "serve", "--port", str(port), "--demo"],
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
        assert set(tokens) == {
            "authority",
            "agency",
            "broker",
            "market_entity",
            "data_subject",
            "auditor",
        }
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server never became ready"
            time.sleep(0.1)
        response = httpx.post(
            f"{base}/graphql",
            json={"query": "{ viewer { roles organization { kind name } } }"},
            headers={"Authorization": f"Bearer {tokens['agency']}"},
        )
        viewer = response.json()["data"]["viewer"]
        assert viewer["roles"] == ["AGENCY"]
        assert viewer["organization"]["kind"] == "AGENCY"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert "Application shutdown complete" in log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
