"""API throughput and latency of a real `pdex serve`, against a bare strawberry baseline.

    .venv/bin/python bench/api.py [--duration 10] [--clients 16] [--engines sqlite,postgres]

In one run, for each engine (SQLite in a temporary data directory; PostgreSQL in a fresh
`pdex_bench_<random>` database that is dropped at the end, skipped if unreachable) it starts
`pdex serve --demo` on a free loopback port, takes the demo authority's token from its
output, bulk-inserts 1,000 organisations and 10,000 assets (each with 1-2 sources and 1-3
valuations; most REGISTERED, with a registration number), and measures with N concurrent
keep-alive clients:

  (a) `{ viewer { roles } }`
  (b) `{ organizations(first: 20) { edges { node { ... registeredBy { name } } } } }`
  (c) `{ assets(first: 20) { edges { node { ... holder { name } sources { ... }
        currentValuation { ... } certificate { ... } } } } }` (issue 4)

It also measures (a) against `bench/bare_app.py` (strawberry + Starlette + the same caches and
uvicorn settings, no pdex), prints a table with the ratios pdex(a)/bare(a), pdex(b)/pdex(a)
and pdex(c)/pdex(a), and writes the "## API (issue 2)" section of BENCHMARKS.md.

Every response must be HTTP 200 with no `errors`; failures are counted and reported. Each
row is warmed up first, and the rows are measured in interleaved slices (`--rounds`) so that
other work on the machine skews them alike. The load generator runs on the same machine as the
server (loopback only), so they share the CPUs: the table also shows the server's own CPU
time per request, which does not depend on how fast the load generator is.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import json
import os
import platform
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# `python bench/api.py` puts bench/ first on sys.path, where other benchmark scripts (such as
# bench/ledger.py) would shadow pdex's packages of the same name: import pdex from the root.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

VIEWER_QUERY = "{ viewer { roles } }"
ORGS_QUERY = (
    "{ organizations(first: 20) { edges { node "
    "{ id name uscc kind createdAt registeredBy { name } } } } }"
)
ASSETS_QUERY = (
    "{ assets(first: 20) { edges { node { id name status holder { name } "
    "sources { datasetName datasetHolder } currentValuation { method value } "
    "certificate { number registeredAt } } } } }"
)
SEED_ROWS = 1000
SEED_ASSETS = 10_000
BENCH_NAME = "基准测试机构"
BENCH_ASSET_NAME = "基准数据资产"
SECTION = "## API (issue 2)"
TARGET_VS_BARE = 0.70
TARGET_LIST_VS_VIEWER = 0.10
TARGET_ASSETS_VS_VIEWER = 0.10  # issue 4
CLK_TCK = os.sysconf("SC_CLK_TCK")
TOKEN_LINE = re.compile(r"^\s*authority\s+Authorization: Bearer (\S+)\s*$", re.MULTILINE)


# --- measurement -------------------------------------------------------------------------------


@dataclass
class Result:
    target: str  # "bare", "pdex/sqlite", "pdex/postgres"
    query: str  # "a", "b" or "c"
    requests: int = 0
    failures: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list, repr=False)
    server_cpu: float = 0.0  # seconds of user+system CPU the server used in the window
    client_cpu: float = 0.0  # seconds of CPU this process (the load generator) used
    other_cpu: float = 0.0  # seconds of CPU every other process on the machine used
    first_failure: str | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def server_us_per_request(self) -> float:
        return self.server_cpu / self.requests * 1e6 if self.requests else float("nan")

    @property
    def server_util(self) -> float:
        return self.server_cpu / self.seconds * 100 if self.seconds else 0.0

    @property
    def client_util(self) -> float:
        return self.client_cpu / self.seconds * 100 if self.seconds else 0.0

    @property
    def other_util(self) -> float:
        return self.other_cpu / self.seconds * 100 if self.seconds else 0.0


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process, its threads and its live child processes (a server run
    with several workers), from /proc."""
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent pid, CPU seconds)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone while we looked
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK)
    tree, total = {pid}, 0.0
    for child, (parent, _) in sorted(stats.items()):  # pids grow: parents come first
        if parent in tree:
            tree.add(child)
    for member in tree:
        total += stats.get(member, (0, 0.0))[1]
    return total


def system_busy_seconds() -> float:
    """CPU seconds all CPUs spent busy since boot (user+nice+system+irq+softirq+steal)."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def body_problem(status: int, body: bytes) -> str | None:
    """None when the response is a 200 with data and no `errors`, else why not."""
    if status != 200:
        return f"HTTP {status}: {body[:200].decode(errors='replace')}"
    # A GraphQL response with errors always carries the "errors" key, and no seeded value
    # contains that string: a byte search is exact here and keeps the load generator cheap.
    if b'"errors"' in body or not body.startswith(b'{"data"'):
        return f"GraphQL errors: {body[:300].decode(errors='replace')}"
    return None


class RawConnection:
    """One keep-alive HTTP/1.1 connection posting one prepared request, over asyncio streams.

    The load generator shares the CPUs with the server, so it must be cheap: this costs
    ~65 µs of client CPU per request here, where httpx.AsyncClient cost 0.9-2 ms (a shared
    16-connection pool was the slowest) and capped the baseline at a few hundred requests/s.
    """

    def __init__(self, host: str, port: int, request: bytes) -> None:
        self.host, self.port, self.request = host, port, request
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(self.request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, _, header_block = head.partition(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        headers = {}
        for line in header_block.split(b"\r\n"):
            name, sep, value = line.partition(b":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        if b"content-length" in headers:
            body = await self.reader.readexactly(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunks.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(c[:-2] for c in chunks)
        else:  # no framing: the body runs to the end of the connection
            body = await self.reader.read()
            self.close()
        if headers.get(b"connection", b"").lower() == b"close":
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def http_request(
    url: str, query: str, token: str | None, variables: dict[str, object] | None = None
) -> tuple[str, int, bytes]:
    """The host, the port and a prepared HTTP/1.1 POST of the query (and its variables)."""
    parsed = httpx.URL(url)
    document: dict[str, object] = {"query": query}
    if variables:
        document["variables"] = variables
    body = json.dumps(document).encode()
    lines = [
        f"POST {parsed.raw_path.decode()} HTTP/1.1",
        f"host: {parsed.host}:{parsed.port}",
        "content-type: application/json",
        "accept: application/json",
        f"content-length: {len(body)}",
    ]
    if token:
        lines.append(f"authorization: Bearer {token}")
    return parsed.host, parsed.port or 80, ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def raw_request(
    url: str, token: str | None, query: str, variables: dict[str, object] | None = None
) -> bytes:
    """A prepared request for `load_requests`."""
    return http_request(url, query, token, variables)[2]


Check = Callable[[int, bytes], "str | None"]


def expecting(marker: bytes) -> Check:
    """A check: HTTP 200, no GraphQL errors, and `marker` in the body."""

    def check(status: int, body: bytes) -> str | None:
        problem = body_problem(status, body)
        if problem is None and marker not in body:
            return f"unexpected: {body[:300].decode(errors='replace')}"
        return problem

    return check


async def load(
    result: Result,
    url: str,
    token: str | None,
    query: str,
    *,
    server_pid: int,
    clients: int,
    duration: float,
    warmup: float,
) -> None:
    """`clients` closed-loop keep-alive clients posting `query`: `warmup` seconds unrecorded,
    then `duration` seconds added to `result`."""
    await load_requests(
        result, url, [http_request(url, query, token)[2]], body_problem,
        server_pid=server_pid, clients=clients, duration=duration, warmup=warmup,
    )  # fmt: skip


async def load_requests(
    result: Result,
    url: str,
    requests: list[bytes],
    check: Check,
    *,
    server_pid: int,
    clients: int,
    duration: float,
    warmup: float,
) -> None:
    """Like `load`, but each request is the next of `requests` (distinct consents, say, so
    clients do not queue on one row's lock), and each answer passes `check`."""
    parsed = httpx.URL(url)
    connections = [RawConnection(parsed.host, parsed.port or 80, b"") for _ in range(clients)]
    counter = itertools.count()
    latencies = result.latencies

    async def worker(conn: RawConnection, stop_at: float, record: bool) -> None:
        while True:
            started = time.perf_counter()
            if started >= stop_at:
                return
            conn.request = requests[next(counter) % len(requests)]
            try:
                status, body = await conn.send()
                problem = check(status, body)
            except (
                OSError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
                ValueError,
                IndexError,
            ) as exc:
                conn.close()
                problem = f"{type(exc).__name__}: {exc}"
                await asyncio.sleep(0.01)
            elapsed = time.perf_counter() - started
            if not record:
                continue
            if problem is None:
                result.requests += 1
                latencies.append(elapsed)
            else:
                result.failures += 1
                result.first_failure = result.first_failure or problem

    try:
        if warmup > 0:
            stop = time.perf_counter() + warmup
            await asyncio.gather(*(worker(c, stop, False) for c in connections))
        server0 = process_cpu_seconds(server_pid)
        own0, busy0 = time.process_time(), system_busy_seconds()
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(c, t0 + duration, True) for c in connections))
        seconds = time.perf_counter() - t0
        server = process_cpu_seconds(server_pid) - server0
        own = time.process_time() - own0
        busy = system_busy_seconds() - busy0
    finally:
        for conn in connections:
            conn.close()
    result.seconds += seconds
    result.server_cpu += server
    result.client_cpu += own
    result.other_cpu += max(0.0, busy - server - own)


# --- servers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server subprocess with its output in files under `workdir`."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.stdout_path = workdir / f"{name}.stdout"
        self.stderr_path = workdir / f"{name}.stderr"
        self._out = open(self.stdout_path, "wb")  # noqa: SIM115 - closed in stop()
        self._err = open(self.stderr_path, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            argv,
            env=env,
            stdout=self._out,
            stderr=self._err,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def tail(self, lines: int = 15) -> str:
        text = self.stderr_path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(text + self.stdout().splitlines()[-lines:])

    async def wait_ready(self, probe: httpx.Request, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=5.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.send(probe)).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.name} was not ready after {timeout:.0f} s:\n{self.tail()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()
        self._err.close()


def pdex_argv(port: int, workers: int = 1) -> list[str]:
    exe = Path(sys.executable).with_name("pdex")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "server.cli"]
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port), "--demo"]
    return [*command, *serve, *(["--workers", str(workers)] if workers > 1 else [])]


# --- seeding -----------------------------------------------------------------------------------


def bench_organizations(authority_id: uuid.UUID) -> list[dict[str, object]]:
    from core.models import OrganizationKind
    from core.validators import make_org_code, make_uscc

    kinds = [
        OrganizationKind.AGENCY,
        OrganizationKind.BROKER,
        OrganizationKind.MARKET_ENTITY,
        OrganizationKind.AUDITOR,
    ]
    created = dt.datetime.now(dt.UTC)
    rows = []
    for i in range(SEED_ROWS):
        # "BN" + 6 digits: an organisation-code body no demo organisation uses.
        uscc = make_uscc("91" + "440700" + make_org_code(f"BN{i:06d}"))
        rows.append(
            {
                "id": uuid.uuid4(),
                "kind": kinds[i % len(kinds)],
                "name": f"{BENCH_NAME} {i:04d} (Benchmark Organisation {i:04d})",
                "uscc": uscc,
                "registered_by_id": authority_id,
                "created_at": created - dt.timedelta(seconds=i),
            }
        )
    return rows


def bench_assets(
    organizations: list[dict[str, object]], authority_id: uuid.UUID
) -> tuple[list[dict[str, object]], list[dict[str, object]], list[dict[str, object]]]:
    """SEED_ASSETS assets held by the seeded organisations, with their sources and valuations.

    Three in four are REGISTERED (number, date and ledger seq for the certificate); the rest
    are drafts, submissions, notices, objections and cancellations. Each has 1-2 declared
    sources and 1-3 valuations. All are older than anything the demo seeds, so the first page
    of `assets` (oldest first) is theirs, with every status on it.
    """
    from decimal import Decimal

    from core.models import OrganizationKind
    from registry.models import AssetKind, AssetRight, AssetStatus, UpdateFrequency

    def holders(*kinds: OrganizationKind) -> list[object]:
        return [o["id"] for o in organizations if o["kind"] in kinds]

    agencies = holders(OrganizationKind.AGENCY)
    traders = holders(OrganizationKind.MARKET_ENTITY, OrganizationKind.BROKER)
    kinds = [AssetKind.PUBLIC_DATA_ASSET, AssetKind.DATA_PRODUCT, AssetKind.DATA_SERVICE]
    others = [
        AssetStatus.DRAFT,
        AssetStatus.SUBMITTED,
        AssetStatus.PUBLIC_NOTICE,
        AssetStatus.OBJECTED,
        AssetStatus.CANCELLED,
    ]
    rights = [
        [AssetRight.HOLDING],
        [AssetRight.HOLDING, AssetRight.PROCESSING_USE],
        [AssetRight.OPERATION, AssetRight.PROCESSING_USE],
    ]
    methods = ["COST", "INCOME", "MARKET"]
    oldest = dt.datetime.now(dt.UTC) - dt.timedelta(days=90)
    assets, sources, valuations = [], [], []
    for i in range(SEED_ASSETS):
        asset_id = uuid.uuid4()
        kind = kinds[i % len(kinds)]
        pool = agencies if kind is AssetKind.PUBLIC_DATA_ASSET else traders
        # 15 in 20 registered; the other 5 cycle through the other statuses.
        status = others[(i // 4) % len(others)] if i % 4 == 3 else AssetStatus.REGISTERED
        created = oldest + dt.timedelta(seconds=i)
        registered = status is AssetStatus.REGISTERED
        assets.append(
            {
                "id": asset_id,
                "kind": kind,
                "name": f"{BENCH_ASSET_NAME} {i:05d} (Benchmark data asset {i:05d})",
                "description": f"Benchmark asset {i:05d}: monthly aggregates of licence data.",
                "scenario": "Credit assessment of small and micro enterprises",
                "rights": ",".join(sorted(r.value for r in rights[i % len(rights)])),
                "delivery_mode": "API",
                "update_frequency": UpdateFrequency.MONTHLY,
                "time_span": "2020-2026",
                "scale": f"{(i % 90 + 10) * 1000} records",
                "holder_id": pool[(i * 7) % len(pool)],
                "status": status,
                "notice_ends_at": created + dt.timedelta(days=7)
                if status in (AssetStatus.PUBLIC_NOTICE, AssetStatus.OBJECTED)
                else None,
                "registration_number": f"JMDR-BENCH-{i:06d}" if registered else None,
                "registered_at": created + dt.timedelta(days=8) if registered else None,
                "registration_seq": 1_000_000 + i if registered else None,
                "decision_reason": "Withdrawn by the holder" if i % 20 == 19 else "",
                "version": 1,
                "created_at": created,
            }
        )
        for j in range(1 + i % 2):
            sources.append(
                {
                    "id": uuid.uuid4(),
                    "asset_id": asset_id,
                    "resource_id": None,
                    "dataset_name": f"Benchmark dataset {i:05d}-{j}",
                    "dataset_holder": f"Benchmark holder {i % 97:02d}",
                    "legal_basis": "Data sharing agreement of 2025",
                }
            )
        for j in range(1 + i % 3):
            value = Decimal(f"{(i * 37) % 90_000 + 10_000 + j * 500}.{i % 100:02d}")
            valuations.append(
                {
                    "id": uuid.uuid4(),
                    "asset_id": asset_id,
                    "method": methods[(i + j) % len(methods)],
                    "inputs": json.dumps({"amounts": [str(value)]}),
                    "value": value,
                    "breakdown": json.dumps({"value": str(value)}),
                    "valuer_id": authority_id,
                    "valued_at": created + dt.timedelta(days=10 + j),
                    "ledger_seq": 2_000_000 + 3 * i + j,
                }
            )
    return assets, sources, valuations


async def seed(database_url: str, authority_id: uuid.UUID) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    from core.models import Organization
    from registry.models import Asset, AssetSource, AssetValuation

    organizations = bench_organizations(authority_id)
    assets, sources, valuations = bench_assets(organizations, authority_id)
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(Organization.__table__.insert(), organizations)
            await conn.execute(Asset.__table__.insert(), assets)
            await conn.execute(AssetSource.__table__.insert(), sources)
            await conn.execute(AssetValuation.__table__.insert(), valuations)
    finally:
        await engine.dispose()


def authority_from_token(token: str) -> uuid.UUID:
    import jwt

    claims = jwt.decode(token, options={"verify_signature": False})
    return uuid.UUID(claims["org"])


# --- PostgreSQL --------------------------------------------------------------------------------


async def pg_create(admin_dsn: str) -> str | None:
    """Create `pdex_bench_<random>`; return its name, or None when PostgreSQL is unreachable."""
    import asyncpg

    name = f"pdex_bench_{secrets.token_hex(4)}"
    try:
        conn = await asyncpg.connect(admin_dsn, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        print(f"PostgreSQL unreachable at {redact(admin_dsn)} ({exc}): skipping it.", flush=True)
        return None
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def pg_drop(admin_dsn: str, name: str) -> None:
    import asyncpg

    assert name.startswith("pdex_bench_")
    conn = await asyncpg.connect(admin_dsn, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def pg_url(admin_dsn: str, database: str) -> str:
    base, _, _ = admin_dsn.rpartition("/")
    return f"{base}/{database}"


def normalize_pg_url(url: str) -> str:
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    return url


def redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


# --- running -----------------------------------------------------------------------------------


@dataclass
class Target:
    name: str  # "bare", "pdex/sqlite", "pdex/postgres"
    url: str
    token: str | None
    server: Server
    queries: dict[str, str]  # label -> query


async def start_bare(stack: contextlib.ExitStack, workdir: Path) -> Target:
    port = free_port()
    argv = [sys.executable, str(ROOT / "bench" / "bare_app.py"), "--port", str(port)]
    server = Server("bare", argv, dict(os.environ), workdir)
    stack.callback(server.stop)
    url = f"http://127.0.0.1:{port}/graphql"
    await server.wait_ready(httpx.Request("POST", url, json={"query": VIEWER_QUERY}))
    print(f"  bare strawberry: pid {server.pid}, {url}", flush=True)
    return Target("bare", url, None, server, {"a": VIEWER_QUERY})


async def start_pdex(
    stack: contextlib.ExitStack, engine: str, database_url: str, workdir: Path, workers: int = 1
) -> Target:
    port = free_port()
    data_dir = workdir / f"data-{engine}"
    data_dir.mkdir()
    env = dict(os.environ, PDEX_DATABASE_URL=database_url, PDEX_DATA_DIR=str(data_dir))
    env.pop("PDEX_OIDC_JWKS_URL", None)  # the demo tokens are pdex's own
    env.pop("PDEX_ACCESS_LOG", None)  # measure the default: no line per successful request
    # The ledger checkpointer signs (pure-Python BLS, seconds of CPU) only when the ledger has
    # grown, which these read-only queries never do; keep a signing burst out of the numbers.
    env["PDEX_CHECKPOINT_INTERVAL"] = "0"
    # One caller's throughput is the point: its rate limit (a token bucket per caller, whose
    # cost bench/bounds.py measures) would cap it at PDEX_RATE_LIMIT requests a second.
    env["PDEX_RATE_LIMIT"] = "0"
    env["PDEX_MAX_CONCURRENT"] = "0"  # and 16 clients with one token run at once
    server = Server(f"pdex-{engine}", pdex_argv(port, workers), env, workdir)
    stack.callback(server.stop)
    base = f"http://127.0.0.1:{port}"
    name = f"pdex/{engine}"
    await server.wait_ready(httpx.Request("GET", base + "/healthz"))
    match = TOKEN_LINE.search(server.stdout())
    if not match:
        raise RuntimeError(f"no authority token in the output of pdex serve:\n{server.tail()}")
    token = match.group(1)
    started = time.perf_counter()
    await seed(database_url, authority_from_token(token))
    await check_shapes(base + "/graphql", token)
    print(
        f"  {name}: pid {server.pid}, {base}/graphql; seeded {SEED_ROWS:,} organisations "
        f"and {SEED_ASSETS:,} assets in {time.perf_counter() - started:.2f} s",
        flush=True,
    )
    queries = {"a": VIEWER_QUERY, "b": ORGS_QUERY, "c": ASSETS_QUERY}
    return Target(name, base + "/graphql", token, server, queries)


async def measure(targets: list[Target], args: argparse.Namespace) -> list[Result]:
    """Interleave the measurements in `rounds` slices so that a burst of other work on the
    machine hits every row alike instead of skewing one ratio."""
    results = {(t.name, q): Result(t.name, q) for t in targets for q in t.queries}
    slice_seconds = args.duration / args.rounds
    for round_no in range(args.rounds):
        print(f"  round {round_no + 1}/{args.rounds} ...", flush=True)
        for target in targets:
            for label, query in target.queries.items():
                await load(
                    results[target.name, label],
                    target.url,
                    target.token,
                    query,
                    server_pid=target.server.pid,
                    clients=args.clients,
                    duration=slice_seconds,
                    # The full warm-up before a row's first slice; later slices only reopen
                    # their connections.
                    warmup=args.warmup if round_no == 0 else min(args.warmup, 0.25),
                )
    return list(results.values())


async def check_shapes(url: str, token: str) -> None:
    """One request of each kind, checked in full, before any timing."""
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=30.0, headers=headers) as client:
        viewer = (await client.post(url, json={"query": VIEWER_QUERY})).json()
        assert viewer == {"data": {"viewer": {"roles": ["AUTHORITY"]}}}, viewer
        orgs = (await client.post(url, json={"query": ORGS_QUERY})).json()
        assert "errors" not in orgs, orgs
        edges = orgs["data"]["organizations"]["edges"]
        assert len(edges) == 20, len(edges)
        seeded = [e["node"] for e in edges if e["node"]["name"].startswith(BENCH_NAME)]
        assert seeded and all(n["registeredBy"]["name"] for n in seeded), edges
        assets = (await client.post(url, json={"query": ASSETS_QUERY})).json()
        assert "errors" not in assets, assets
        edges = assets["data"]["assets"]["edges"]
        assert len(edges) == 20, len(edges)
        nodes = [e["node"] for e in edges]
        assert all(n["name"].startswith(BENCH_ASSET_NAME) for n in nodes), nodes
        assert all(n["holder"]["name"].startswith(BENCH_NAME) for n in nodes), nodes
        assert all(1 <= len(n["sources"]) <= 2 for n in nodes), nodes
        assert all(n["currentValuation"]["value"] for n in nodes), nodes
        registered = [n for n in nodes if n["status"] == "REGISTERED"]
        assert 0 < len(registered) < len(nodes), nodes
        for n in nodes:
            assert (n["certificate"] is not None) == (n["status"] == "REGISTERED"), n


# --- report ------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": str(os.cpu_count()),
        "nproc": subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
        or str(len(os.sched_getaffinity(0))),
        "model": model,
        "python": platform.python_version(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "platform": platform.platform(),
    }


def table(results: list[Result]) -> list[str]:
    header = (
        "| server | query | req/s | p50 ms | p99 ms | ok | failed | server CPU µs/req "
        "| server CPU % | load-gen CPU % | other CPU % |"
    )
    lines = [header, "|" + "---|" * 11]
    for r in results:
        lines.append(
            f"| {r.target} | ({r.query}) | {r.rps:,.0f} | {r.pct(0.50):.2f} | {r.pct(0.99):.2f} "
            f"| {r.requests:,} | {r.failures:,} | {r.server_us_per_request:,.0f} "
            f"| {r.server_util:.0f} | {r.client_util:.0f} | {r.other_util:.0f} |"
        )
    return lines


def ratios(results: list[Result]) -> list[str]:
    by = {(r.target, r.query): r for r in results}
    bare = by.get(("bare", "a"))
    lines = []
    for engine in ("sqlite", "postgres"):
        a = by.get((f"pdex/{engine}", "a"))
        if a is None:
            continue
        if bare is not None and bare.rps:
            value = a.rps / bare.rps
            cpu = bare.server_us_per_request / a.server_us_per_request
            verdict = "met" if value >= TARGET_VS_BARE else "MISSED"
            lines.append(
                f"- {engine}: pdex (a) / bare (a) = **{value:.2f}** "
                f"(target ≥ {TARGET_VS_BARE:.2f}: {verdict}); by server CPU per request "
                f"{cpu:.2f}"
            )
        for label, target, aim in (
            ("b", TARGET_LIST_VS_VIEWER, "target"),
            ("c", TARGET_ASSETS_VS_VIEWER, "issue 4 aim"),
        ):
            other = by.get((f"pdex/{engine}", label))
            if other is None:
                continue
            value = other.rps / a.rps if a.rps else 0.0
            cpu = a.server_us_per_request / other.server_us_per_request
            lines.append(
                f"- {engine}: pdex ({label}) / pdex (a) = **{value:.2f}** "
                f"({aim} ≥ {target:.2f}: {'met' if value >= target else 'MISSED'}); "
                f"by server CPU per request {cpu:.2f}"
            )
    return lines


def failures(results: list[Result]) -> list[str]:
    return [
        f"- {r.target} ({r.query}): {r.failures} failed; first: `{r.first_failure}`"
        for r in results
        if r.failures
    ]


def markdown(
    results: list[Result],
    info: dict[str, str],
    args: argparse.Namespace,
    command: str,
    notes: list[str],
) -> str:
    out = [
        SECTION,
        "",
        "Written by `bench/api.py`; rerun it to refresh this section. Real numbers from one run.",
        "",
        f"- Command: `{command}`",
        f"- Machine: {info['nproc']} CPUs (`nproc`), {info['model']}, {info['platform']}",
        f"- Python {info['python']}, {info['date']}",
        f"- Load: {args.clients} concurrent closed-loop keep-alive HTTP/1.1 clients (asyncio "
        "streams in one process: httpx.AsyncClient cost 0.9-2 ms of client CPU per request here "
        "and capped the baseline itself); a "
        f"{args.warmup:g} s warm-up per row, then {args.duration:g} s per row measured in "
        f"{args.rounds} interleaved slices; {SEED_ROWS:,} seeded organisations and "
        f"{SEED_ASSETS:,} seeded assets (three in four REGISTERED with a registration number, "
        "the rest in the other statuses; 1-2 sources and 1-3 valuations each); every "
        "response checked for HTTP 200 and no `errors`.",
        "- The load generator runs on the same machine and shares its "
        f"{info['nproc']} CPUs with the server (loopback only). `server CPU µs/req` is the "
        "server process's own CPU time per request in the window and does not depend on the "
        "load generator; `server CPU %` near 100 means the (single-process) server was the "
        "bottleneck; `other CPU %` is every other process on the machine in the same window.",
        "- pdex runs as `pdex serve --demo` with its defaults (JSON log lines on stderr only for "
        "failed or slow requests: the per-request access log is opt-in with "
        "`PDEX_ACCESS_LOG=true`; SQLite or PostgreSQL pools as configured), except that the "
        "ledger checkpointer is off (`PDEX_CHECKPOINT_INTERVAL=0`): it signs only when the "
        "ledger grows, which these read-only queries never make it do; and the per-caller "
        "rate limits are off (`PDEX_RATE_LIMIT=0`, `PDEX_MAX_CONCURRENT=0`): every client "
        "uses one token.",
        "- (a) `" + VIEWER_QUERY + "`; (b) `" + ORGS_QUERY + "`; (c) `" + ASSETS_QUERY + "` "
        "(issue 4), with the authority's token, which sees every status; bare = "
        "`bench/bare_app.py` (strawberry + Starlette, ParserCache + ValidationCache, same "
        "uvicorn settings, no pdex code).",
        "",
        *table(results),
        "",
        "Ratios (same run):",
        "",
        *ratios(results),
    ]
    busiest = max(results, key=lambda r: r.other_util, default=None)
    if busiest is not None and busiest.other_util > 25:
        out += [
            "",
            f"Other processes used up to {busiest.other_util:.0f} % of a CPU during this run "
            "(PostgreSQL's own backends count there too), so the absolute requests/s are lower "
            "than on an idle machine; the rows were interleaved, so the ratios, and above all "
            "the server CPU per request, are the figures to compare.",
        ]
    fails = failures(results)
    if fails:
        out += ["", "Failures:", "", *fails]
    if notes:
        out += ["", *notes]
    return "\n".join(out) + "\n"


def write_section(title: str, section: str, path: Path, *, kept: str | None = None) -> None:
    """Replace (or append) the section headed `title` in BENCHMARKS.md with `section`, keeping
    every other one; a `kept` subsection at its end (hand-written) survives the rewrite."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(title)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    found = pattern.search(text)
    if found:
        old = found.group(0)
        mark = f"\n{kept}" if kept else None
        tail = old[old.index(mark) + 1 :].rstrip("\n") if mark and mark in old else ""
        new = section.rstrip("\n") + ("\n\n" + tail if tail else "") + "\n\n"
        text = text[: found.start()] + new + text[found.end() :]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n")


async def each_engine(
    args: argparse.Namespace,
    prefix: str,
    run: Callable[[str, str, Path, argparse.Namespace], Any],
) -> tuple[list[Result], dict[str, Any]]:
    """`run(engine, database_url, workdir, args)` for each of `args.engines` (a fresh
    PostgreSQL database each, dropped after; SQLite in a temporary folder; an unreachable
    PostgreSQL skipped): the results of all, and what each run said of its seeding."""
    results: list[Result] = []
    seeds: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        workdir = Path(tmp)
        for engine in args.engines:
            if engine == "sqlite":
                url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
                found, seeds[engine] = await run(engine, url, workdir, args)
                results += found
                continue
            name = await pg_create(args.pg_admin_url)
            if name is None:
                continue
            try:
                url = normalize_pg_url(pg_url(args.pg_admin_url, name))
                found, seeds[engine] = await run(engine, url, workdir, args)
                results += found
            finally:
                await pg_drop(args.pg_admin_url, name)
    return results, seeds


# --- main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds before each")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--engines", default="sqlite,postgres", help="sqlite,postgres")
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get(
            "PDEX_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL database to connect to for CREATE/DROP DATABASE",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="interleave the rows in this many slices of duration/rounds seconds each",
    )
    parser.add_argument("--no-bare", action="store_true", help="skip the bare baseline")
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "BENCHMARKS.md",
        help="Markdown file whose API section is written ('-' to skip)",
    )
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(args.engines) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")
    return args


async def main_async(args: argparse.Namespace, command: str) -> int:
    notes: list[str] = []
    databases: list[str] = []
    admin = args.pg_admin_url
    try:
        with (
            tempfile.TemporaryDirectory(prefix="pdex-bench-") as tmp,
            contextlib.ExitStack() as stack,
        ):
            workdir = Path(tmp)
            targets = []
            if not args.no_bare:
                targets.append(await start_bare(stack, workdir))
            for engine in args.engines:
                if engine == "sqlite":
                    url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
                    targets.append(await start_pdex(stack, "sqlite", url, workdir))
                    continue
                name = await pg_create(admin)
                if name is None:
                    notes.append(f"PostgreSQL was unreachable at `{redact(admin)}`: skipped.")
                    continue
                databases.append(name)
                url = normalize_pg_url(pg_url(admin, name))
                targets.append(await start_pdex(stack, "postgres", url, workdir))
            results = await measure(targets, args)
    finally:  # the servers are stopped by now, so nothing holds the databases open
        for name in databases:
            await pg_drop(admin, name)

    info = machine()
    print()
    print(f"{info['nproc']} CPUs ({info['model']}), Python {info['python']}, {info['date']}")
    print("The load generator shares these CPUs with the server.")
    print()
    print("\n".join(table(results)))
    print()
    print("\n".join(ratios(results)))
    fails = failures(results)
    if fails:
        print("\nFailures:\n" + "\n".join(fails))
    for note in notes:
        print(note)
    if str(args.output) != "-":
        write_section(SECTION, markdown(results, info, args, command, notes), args.output)
        print(f"\nwrote the {SECTION!r} section of {args.output}")
    return 1 if fails else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    argv_shown = sys.argv[1:] if argv is None else argv
    command = " ".join([".venv/bin/python bench/api.py", *(shlex.quote(a) for a in argv_shown)])
    return asyncio.run(main_async(args, command))


if __name__ == "__main__":
    sys.exit(main())
