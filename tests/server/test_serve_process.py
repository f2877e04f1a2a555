"""The real thing: `pdex serve` as a process, queried over TCP, stopped with SIGTERM."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_pdex_serve_process(settings, tmp_path: Path):
    port = free_port()
    log = tmp_path / "server.log"
    env = {
        **os.environ,
        "PDEX_DATABASE_URL": settings.database_url,
        "PDEX_DATA_DIR": str(tmp_path),
        "PDEX_TOKEN_SECRET": settings.token_secret or "",
        "PDEX_HEADER_TIMEOUT": "1",
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
        probe_bounds(port)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert "Application shutdown complete" in log.read_text()
        assert "Exception in ASGI application" not in log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_workers_need_postgresql(tmp_path: Path):
    env = {
        **os.environ,
        "PDEX_DATABASE_URL": f"sqlite:///{tmp_path / 'pdex.sqlite3'}",
        "PDEX_DATA_DIR": str(tmp_path),
    }
    pdex = Path(sys.executable).parent / "pdex"
    command = [str(pdex), "serve", "--port", str(free_port()), "--workers", "2", "--no-demo"]
    refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "need PostgreSQL" in refused.stderr
    assert refused.stdout == ""


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:  # field 4 of /proc/<pid>/stat: the parent's pid
                found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_pdex_serve_with_workers(settings, is_postgres, tmp_path: Path):
    env = {
        **os.environ,
        "PDEX_DATABASE_URL": settings.database_url,
        "PDEX_DATA_DIR": str(tmp_path),
        "PDEX_TOKEN_SECRET": settings.token_secret or "",
    }
    pdex = Path(sys.executable).parent / "pdex"
    port = free_port()
    command = [str(pdex), "serve", "--port", str(port), "--workers", "2", "--no-demo"]
    if not is_postgres:
        pytest.skip("several workers need PostgreSQL (test_workers_need_postgresql)")
    log = tmp_path / "server.log"
    proc = subprocess.Popen(  # its own process group: a failed test must not orphan workers
        command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        workers = children_of(proc.pid)
        assert len(workers) >= 2, workers  # uvicorn's workers (and perhaps its resource tracker)
        deadline = time.monotonic() + 10  # both report ready; none was killed while starting
        while log.read_text().count('"worker ready"') < 2:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert "died" not in log.read_text() and "starting a new one" not in log.read_text()
        for _ in range(20):
            ok = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"})
            assert ok.status_code == 200 and ok.json()["data"] == {"__typename": "Query"}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()
        deadline = time.monotonic() + 10  # the workers (and the resource tracker) stop too
        while [p for p in workers if Path(f"/proc/{p}").exists()]:
            assert time.monotonic() < deadline, "a worker outlived the server"
            time.sleep(0.05)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the supervisor and every worker
        proc.wait()


async def test_worker_connections_get_tcp_nodelay():
    """The workers' shared socket, rebuilt as multiprocessing rebuilds it in a worker, gives
    connections with TCP_NODELAY: without it each response waited ~40 ms for a delayed ACK."""
    import asyncio
    import socket

    from server.cli import _tcp_listener

    listener = _tcp_listener("127.0.0.1", 0)
    # multiprocessing's reduction: socket.socket(family, type, proto, fileno=dup(fd))
    rebuilt = socket.socket(
        listener.family, listener.type, listener.proto, fileno=os.dup(listener.fileno())
    )
    nodelay: list[int] = []

    async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        nodelay.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(accepted, sock=rebuilt)
    try:
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(100):
            if nodelay:
                break
            await asyncio.sleep(0.01)
        writer.close()
    finally:
        server.close()
        listener.close()
    assert nodelay and nodelay[0] != 0


def probe_bounds(port: int) -> None:
    """The body-size probe over TCP (issue 10 §2): a declared 500 MB body is refused at once,
    a client that leaves mid-body is a 499 (not a 500 with a traceback), and a request head
    that stalls is closed after PDEX_HEADER_TIMEOUT."""
    head = (
        "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: {}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.format(500 * 2**20).encode() + b'{"query": "')
        answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 413"), answer
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.format(1000).encode() + b'{"query": ')
        time.sleep(0.2)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        started = time.monotonic()
        assert sock.recv(4096) == b""  # closed by the server
        assert time.monotonic() - started < 8
    deadline = time.monotonic() + 5
    metrics = ""
    while time.monotonic() < deadline:
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        if 'route="/graphql",status="499"' in metrics:
            break
        time.sleep(0.1)
    assert 'pdex_http_requests_total{route="/graphql",status="499"} 1.0' in metrics
    assert 'status="500"' not in metrics
