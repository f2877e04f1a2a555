"""Request bounds (issue 10 §2-§4): what they hold off, and what they cost each request.

    .venv/bin/python bench/bounds.py [--bodies 6] [--body-mb 200] [--stalled 500]

1. Starts a real `pdex serve --demo` (SQLite in a temporary data directory,
   `PDEX_HEADER_TIMEOUT=2`) and reads its resident memory (VmRSS, /proc) before and while
   N clients each send a B MB body at once: declared by `Content-Length`, then streamed
   without a length (chunked); time until every client has its answer, and the peak RSS.
   Issue 10 saw six 200 MB bodies in parallel take the server to 1.84 GB.
2. Opens S connections that send half a request head and stall; counts how many the server
   has closed after the header timeout, and checks a normal request is answered meanwhile.
3. In process, no network: CPU µs per call of each per-request addition — the sanitiser over
   a typical mutation (`input_problems`), the body-reading middleware (`BoundedRequests`
   around an empty ASGI app, minus the empty app alone), an in-process bucket take, and a
   Redis bucket take (one round trip to 127.0.0.1:6379, skipped if none answers).

Prints the figures; copy them into BENCHMARKS.md ("## Request bounds (issue 10 §2-§4)").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse  # noqa: E402

from schema.sanitize import input_problems  # noqa: E402
from server.bounds import BoundedRequests  # noqa: E402
from server.ratelimit import MemoryStore, RedisStore  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def ready(port: int) -> None:
    """Wait for /readyz: the port is bound before the demo is seeded."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            if b" 200 " in await asyncio.wait_for(reader.readline(), 5):
                writer.close()
                return
            writer.close()
        except (OSError, TimeoutError):
            pass
        await asyncio.sleep(0.2)
    raise SystemExit("pdex serve did not become ready")


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024  # type: ignore[union-attr]


async def send_body(port: int, size: int, declared: bool) -> tuple[int, float]:
    """Send up to `size` bytes of body; return (status, seconds until the answer). Status 0:
    the server closed the connection (it reads no more of a refused body) and the kernel
    reset it before this client read the 413, as happens to a client that sends its whole
    body before reading (no `Expect: 100-continue`)."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    length = f"Content-Length: {size}\r\n" if declared else "Transfer-Encoding: chunked\r\n"
    head = "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    writer.write(f"{head}{length}\r\n".encode())
    chunk = b"x" * 65536
    framed = chunk if declared else b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    sent = 0
    answer = asyncio.ensure_future(reader.readline())
    answered: list[float] = []
    answer.add_done_callback(lambda _: answered.append(time.perf_counter() - started))
    try:
        while sent < size and not answer.done():
            writer.write(framed)
            await writer.drain()
            sent += len(chunk)
    except OSError:  # the server closed while we were still sending
        pass
    try:
        status_line = await asyncio.wait_for(answer, 60)
    except OSError:  # reset before the answer was read: status 0
        status_line = b""
    writer.close()
    parts = status_line.split()
    return (int(parts[1]) if len(parts) > 1 else 0), answered[0] if answered else 0.0


async def big_bodies(port: int, pid: int, count: int, size: int, declared: bool) -> dict:
    before = rss_mb(pid)
    peak = before
    done = False

    async def watch() -> None:
        nonlocal peak
        while not done:
            peak = max(peak, rss_mb(pid))
            await asyncio.sleep(0.02)

    watcher = asyncio.create_task(watch())
    started = time.perf_counter()
    results = await asyncio.gather(*(send_body(port, size, declared) for _ in range(count)))
    wall = time.perf_counter() - started  # including the client's own writing
    done = True
    await watcher
    return {
        "statuses": sorted({s for s, _ in results}),
        "wall": wall,
        "slowest": max(t for _, t in results),
        "rss_before": before,
        "rss_peak": peak,
    }


async def stalled_heads(port: int, count: int, timeout: float) -> dict:
    connections = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never the blank line
        connections.append((reader, writer))
    await asyncio.gather(*(w.drain() for _, w in connections))
    # A normal request meanwhile.
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    normal = (await asyncio.wait_for(reader.read(), 10)).split(b"\r\n", 1)[0].decode()
    writer.close()
    started = time.perf_counter()

    async def closed(reader: asyncio.StreamReader) -> float | None:
        try:
            await asyncio.wait_for(reader.read(), timeout + 5)
            return time.perf_counter() - started
        except TimeoutError:
            return None

    waits = await asyncio.gather(*(closed(r) for r, _ in connections))
    for _, w in connections:
        w.close()
    shut = [w for w in waits if w is not None]
    return {"closed": len(shut), "of": count, "latest": max(shut, default=0.0), "normal": normal}


def per_call_us(fn, rounds: int) -> float:  # type: ignore[no-untyped-def]
    started = time.process_time()
    for _ in range(rounds):
        fn()
    return (time.process_time() - started) / rounds * 1e6


async def per_call_us_async(fn, rounds: int) -> float:  # type: ignore[no-untyped-def]
    started = time.process_time()
    for _ in range(rounds):
        await fn()
    return (time.process_time() - started) / rounds * 1e6


async def overheads() -> dict:
    document = parse(
        "mutation($input: GrantConsentInput!) { grantConsent(input: $input) "
        "{ consent { id purpose } userErrors { field message code } } }"
    )
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments: dict[str, FragmentDefinitionNode] = {}
    variables = {
        "input": {
            "grantee": "T3JnYW5pemF0aW9uOjE=",
            "purpose": "Verify residence for a housing subsidy application",
            "validUntil": "2027-06-30T00:00:00+08:00",
            "dataItems": ["JM-HOUSEHOLD-001", "JM-ADDRESS-002", "JM-SOCIAL-003"],
            "scenario": "Online application at the municipal service portal",
        }
    }
    figures = {
        "sanitiser": per_call_us(lambda: input_problems(operation, fragments, variables), 20_000)
    }

    async def empty_app(scope, receive, send):  # type: ignore[no-untyped-def]
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    bounded = BoundedRequests(empty_app, max_body_bytes=1_048_576, body_timeout=30)
    body = b'{"query": "{ viewer { roles } }"}'
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "headers": [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json"),
        ],
    }

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        pass

    plain = await per_call_us_async(lambda: empty_app(scope, receive, send), 20_000)
    wrapped = await per_call_us_async(lambda: bounded(scope, receive, send), 20_000)
    figures["middleware"] = wrapped - plain
    memory = MemoryStore()
    figures["memory bucket"] = await per_call_us_async(lambda: memory.take("k", 1e9, 10**9), 20_000)
    redis = RedisStore(os.environ.get("PDEX_REDIS_URL", "redis://127.0.0.1:6379/0"))
    try:
        await redis.client.ping()
        started = time.perf_counter()
        figures["redis bucket"] = await per_call_us_async(
            lambda: redis.take("bench", 1e9, 10**9), 2_000
        )
        figures["redis bucket wall"] = (time.perf_counter() - started) / 2_000 * 1e6
    except Exception as exc:  # no Redis: that row is skipped
        print(f"redis: skipped ({type(exc).__name__})")
    finally:
        await redis.close()
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bodies", type=int, default=6)
    parser.add_argument("--body-mb", type=int, default=200)
    parser.add_argument("--stalled", type=int, default=500)
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}"
    )
    print(
        f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"load average {os.getloadavg()}"
    )
    with tempfile.TemporaryDirectory() as data:
        port = free_port()
        env = {
            **os.environ,
            "PDEX_DATA_DIR": data,
            "PDEX_DATABASE_URL": f"sqlite:///{data}/bench.sqlite3",
            "PDEX_HEADER_TIMEOUT": "2",
            "PDEX_CHECKPOINT_INTERVAL": "0",
        }
        env.pop("PDEX_REDIS_URL", None)
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "pdex"), "serve", "--port", str(port), "--demo"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            await ready(port)
            size = args.body_mb * 2**20
            for declared in (True, False):
                r = await big_bodies(port, proc.pid, args.bodies, size, declared)
                how = "Content-Length" if declared else "chunked, no length"
                print(
                    f"{args.bodies} x {args.body_mb} MB bodies ({how}): statuses {r['statuses']}, "
                    f"slowest answer after {r['slowest']:.3f} s "
                    f"(clients done in {r['wall']:.2f} s); "
                    f"RSS {r['rss_before']:.0f} MB before, peak {r['rss_peak']:.0f} MB"
                )
            s = await stalled_heads(port, args.stalled, 2.0)
            print(
                f"{s['of']} stalled heads: {s['closed']} closed by the server, the last after "
                f"{s['latest']:.2f} s (PDEX_HEADER_TIMEOUT=2); "
                f"a normal request meanwhile: {s['normal']}"
            )
        finally:
            proc.terminate()
            proc.wait(15)
    for name, value in (await overheads()).items():
        print(f"{name}: {value:.1f} µs {'wall' if 'wall' in name else 'CPU'} per request")


if __name__ == "__main__":
    asyncio.run(main())
