"""pdex side by side with PostGraphile v4 on the same PostgreSQL database (issue 14 §1).

    .venv/bin/python bench/peer.py [--duration 10] [--warmup 3] [--rounds 3]
        [--connections 16,64] [--queries list,typename,assets] [--workers 1] [--npm-dir DIR]
        [--output FILE]

The queries: the 20-row organisation page with each registrant's name (`list`), `{ __typename }`,
and the 20-row asset page of `bench/api.py` (c) (`assets`). `PDEX_COMPILED_READS=0` in the
environment measures pdex without compiled reads (`schema/compiled.py`), for a before/after;
`PDEX_LEAN_REQUESTS=0` without the lean request path (`server/lean.py`). `--workers N` runs
`pdex serve --workers N` (CPU per request counts every worker).

In one run it:

1. installs PostGraphile v4 (`postgraphile@4`, the team's alternative to writing a GraphQL
   backend; v5 needs Node 22) and autocannon (the load generator, Node, an external process:
   not an in-process Python client) with npm into a temporary folder (`--npm-dir` keeps and
   reuses one);
2. creates a fresh `pdex_bench_<random>` PostgreSQL database, starts `pdex serve --demo` on
   it (one process, pool 10), which migrates it, and fills it as `bench/api.py` does (1,000
   organisations registered by the demo authority, 10,000 assets);
3. starts PostGraphile (one Node process, `--max-pool-size 10`, no query log, no GraphiQL)
   on the same database;
4. for each query and connection count, in `--rounds` interleaved rounds (pdex, PostGraphile,
   pdex, ...), runs autocannon for `--warmup` s (discarded) and `--duration` s (measured),
   and reads each server's own CPU time from /proc for the measured window;
5. prints and writes to BENCHMARKS.md ("## Side by side with PostGraphile (issue 14)") the
   median req/s of each side, the ratio pdex ÷ PostGraphile, latencies, and CPU µs per request.

pdex checks the demo authority's bearer token on every request; PostGraphile has no auth.
Both answer the same data: each query is sent once to each server and checked (HTTP 200, no
`errors`, 20 rows with the nested name) before any timing; autocannon then counts non-2xx
responses, which must be 0.
"""

# ruff: noqa: E402 (the bench helpers are imported after sys.path is fixed below)
from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import importlib.util
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

_spec = importlib.util.spec_from_file_location("bench_api", ROOT / "bench" / "api.py")
assert _spec and _spec.loader
api = importlib.util.module_from_spec(_spec)
sys.modules["bench_api"] = api
_spec.loader.exec_module(api)

SECTION = "## Side by side with PostGraphile (issue 14)"
NPM_PACKAGES = ("postgraphile@4", "autocannon@8")
POOL = 10
# The same data through each server's own schema: the 20-row organisation page with each
# row's registrant's name, and the cheapest possible operation.
QUERIES = {
    "list": (
        "20-row organisation page with the nested registrant's name",
        api.ORGS_QUERY,
        "{ allOrganizations(first: 20) { nodes { id name uscc kind createdAt "
        "organizationByRegisteredById { name } } } }",
    ),
    "typename": ("`{ __typename }`", "{ __typename }", "{ __typename }"),
    # (c) of bench/api.py; PostGraphile's nearest: the latest valuation as a one-row
    # connection, and the certificate's columns without pdex's "only while REGISTERED" rule.
    "assets": (
        "20-row asset page: holder's name, sources, latest valuation, certificate",
        api.ASSETS_QUERY,
        "{ allAssets(first: 20, orderBy: [CREATED_AT_ASC, ID_ASC]) { nodes { id name status "
        "organizationByHolderId { name } assetSourcesByAssetId { nodes { datasetName "
        "datasetHolder } } assetValuationsByAssetId(first: 1, orderBy: [VALUED_AT_DESC, "
        "LEDGER_SEQ_DESC]) { nodes { method value } } registrationNumber registeredAt } } }",
    ),
}
TARGETS = {"list": 1.0, "typename": 0.5}  # issue 14's aims, pdex ÷ PostGraphile per process


@dataclass
class Row:
    query: str
    connections: int
    server: str  # "pdex" | "postgraphile"
    rps: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)
    non2xx: int = 0
    errors: int = 0


def npm_install(folder: Path) -> Path:
    modules = folder / "node_modules"
    if not (modules / "postgraphile").exists() or not (modules / "autocannon").exists():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"npm install {' '.join(NPM_PACKAGES)} into {folder} ...", flush=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(folder),
                "--no-audit",
                "--no-fund",
                "--silent",
                *NPM_PACKAGES,
            ],
            check=True,
        )
    return modules


def package_version(modules: Path, name: str) -> str:
    return json.loads((modules / name / "package.json").read_text())["version"]


async def start_postgraphile(
    stack: contextlib.ExitStack, modules: Path, dsn: str, workdir: Path
) -> tuple[str, api.Server]:
    port = api.free_port()
    argv = [
        "node", str(modules / "postgraphile" / "cli.js"),
        "--connection", dsn, "--schema", "public",
        "--host", "127.0.0.1", "--port", str(port),
        "--max-pool-size", str(POOL),
        "--disable-query-log", "--disable-graphiql", "--disable-default-mutations",
    ]  # fmt: skip
    env = dict(os.environ, NODE_ENV="production")
    server = api.Server("postgraphile", argv, env, workdir)
    stack.callback(server.stop)
    url = f"http://127.0.0.1:{port}/graphql"
    await server.wait_ready(httpx.Request("POST", url, json={"query": "{ __typename }"}))
    return url, server


async def check_same_data(pdex_url: str, token: str, peer_url: str) -> None:
    async with httpx.AsyncClient(timeout=30.0) as client:
        auth = {"authorization": f"Bearer {token}"}
        for _, ours, theirs in QUERIES.values():
            a = await client.post(pdex_url, json={"query": ours}, headers=auth)
            b = await client.post(peer_url, json={"query": theirs})
            assert a.status_code == b.status_code == 200, (a.text, b.text)
            assert "errors" not in a.json() and "errors" not in b.json(), (a.text, b.text)
        page = (await client.post(peer_url, json={"query": QUERIES["list"][2]})).json()
        nodes = page["data"]["allOrganizations"]["nodes"]
        assert len(nodes) == 20 and any(n["organizationByRegisteredById"] for n in nodes), nodes


def autocannon(
    modules: Path, url: str, query: str, token: str | None, connections: int, seconds: float
) -> dict:
    headers = ["-H", "content-type=application/json"]
    if token:
        headers += ["-H", f"authorization=Bearer {token}"]
    argv = [
        "node", str(modules / "autocannon" / "autocannon.js"),
        "-c", str(connections), "-d", str(seconds), "-m", "POST", *headers,
        "-b", json.dumps({"query": query}), "-j", url,
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def measure_one(
    row: Row, modules: Path, url: str, query: str, token: str | None, pid: int, args
) -> None:
    if args.warmup > 0:
        autocannon(modules, url, query, token, row.connections, args.warmup)
    cpu_before = api.process_cpu_seconds(pid)
    result = autocannon(modules, url, query, token, row.connections, args.duration)
    cpu = api.process_cpu_seconds(pid) - cpu_before
    ok = result["2xx"]
    row.rps.append(ok / result["duration"] if result["duration"] else 0.0)
    row.p50.append(result["latency"]["p50"])
    row.p99.append(result["latency"]["p99"])
    row.cpu_us.append(cpu / ok * 1e6 if ok else float("nan"))
    row.non2xx += result["non2xx"]
    row.errors += result["errors"] + result["timeouts"]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(rows: dict[tuple[str, int, str], Row], args, versions: dict[str, str]) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    workers = "one process" if args.workers == 1 else f"`--workers {args.workers}`, each with"
    lines = [
        SECTION,
        "",
        "Written by `bench/peer.py`; rerun it to refresh this section. Every figure below is "
        "from one run.",
        "",
        f"- Command: `{args.command}`",
        f"- Machine: {os.cpu_count()} CPUs, {platform.platform()}, Python "
        f"{platform.python_version()}, Node {versions['node']}, {now}",
        f"- Peer: PostGraphile {versions['postgraphile']} (one Node process, pool {POOL}, no "
        f"auth); pdex: `pdex serve` ({workers}, pool {POOL}, bearer token checked on every "
        "request); the same PostgreSQL database, migrated and filled by pdex (1,000 + the demo's "
        "organisations, 10,000 assets).",
        f"- Load: autocannon {versions['autocannon']} (Node, one process, on the same 2 CPUs as "
        f"both servers), {args.warmup:g} s warm-up then {args.duration:g} s measured per cell, "
        f"{args.rounds} interleaved rounds, median. Shortened from the issue's 3 s + 10 s when "
        "the machine is shared: load average before the run "
        f"{args.load_before}, after {args.load_after} (other sessions' work; 2 = both CPUs "
        "busy), so absolute req/s are low and the ratios and CPU µs/req are the figures to use.",
        "",
        "| query | conns | pdex req/s | PostGraphile req/s | pdex ÷ PostGraphile | "
        "p50 / p99 ms pdex | p50 / p99 ms PostGraphile | server CPU µs/req pdex / "
        "PostGraphile | non-2xx + errors |",
        "|---|---:|---:|---:|---:|---|---|---|---:|",
    ]
    ratios = []
    for key, (label, _, _) in QUERIES.items():
        if key not in args.queries:
            continue
        for conns in args.connections:
            ours, theirs = rows[key, conns, "pdex"], rows[key, conns, "postgraphile"]
            ratio = median(ours.rps) / median(theirs.rps)
            ratios.append((key, conns, ratio))
            lines.append(
                f"| {label} | {conns} | {median(ours.rps):,.0f} | {median(theirs.rps):,.0f} | "
                f"**{ratio:.2f}** | {median(ours.p50):.1f} / {median(ours.p99):.1f} | "
                f"{median(theirs.p50):.1f} / {median(theirs.p99):.1f} | "
                f"{median(ours.cpu_us):,.0f} / {median(theirs.cpu_us):,.0f} | "
                f"{ours.non2xx + ours.errors + theirs.non2xx + theirs.errors} |"
            )
    lines += ["", "Aims (issue 14, per process):", ""]
    for key, conns, ratio in ratios:
        aim = TARGETS.get(key)
        if aim is None:
            continue  # measured for the record; the issue sets no peer aim for it
        met = "met" if ratio >= aim else "MISSED"
        lines.append(f"- {QUERIES[key][0]}, {conns} connections: {ratio:.2f} (aim ≥ {aim}: {met})")
    return "\n".join(lines) + "\n"


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


async def run(args: argparse.Namespace) -> int:
    if shutil.which("node") is None or shutil.which("npm") is None:
        print("node and npm are needed (PostGraphile and autocannon are Node programs)")
        return 2
    databases: list[str] = []
    with contextlib.ExitStack() as stack:
        npm_dir = args.npm_dir or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="pdex-peer-npm-"))
        )
        modules = npm_install(npm_dir)
        versions = {
            "node": subprocess.run(["node", "--version"], capture_output=True, text=True).stdout,
            "postgraphile": package_version(modules, "postgraphile"),
            "autocannon": package_version(modules, "autocannon"),
        }
        versions["node"] = versions["node"].strip().lstrip("v")
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pdex-peer-")))
        name = await api.pg_create(args.pg_admin_url)
        if name is None:
            return 2
        databases.append(name)
        try:
            dsn = api.pg_url(args.pg_admin_url, name)
            with contextlib.ExitStack() as servers:
                os.environ["PDEX_DB_POOL_SIZE"] = str(POOL)  # PostGraphile's pool size
                pdex = await api.start_pdex(
                    servers, "postgres", api.normalize_pg_url(dsn), workdir, args.workers
                )
                peer_url, peer = await start_postgraphile(servers, modules, dsn, workdir)
                print(f"  PostGraphile {versions['postgraphile']}: pid {peer.pid}, {peer_url}")
                await check_same_data(pdex.url, pdex.token, peer_url)
                args.load_before = load_average()
                rows: dict[tuple[str, int, str], Row] = {}
                for round_no in range(args.rounds):
                    print(f"  round {round_no + 1}/{args.rounds} ...", flush=True)
                    for key, (_, ours, theirs) in QUERIES.items():
                        if key not in args.queries:
                            continue
                        for conns in args.connections:
                            sides = [
                                ("pdex", pdex.url, ours, pdex.token, pdex.server.pid),
                                ("postgraphile", peer_url, theirs, None, peer.pid),
                            ]
                            for side, url, query, token, pid in sides:
                                row = rows.setdefault((key, conns, side), Row(key, conns, side))
                                measure_one(row, modules, url, query, token, pid, args)
                args.load_after = load_average()
        finally:
            for db_name in databases:
                await api.pg_drop(args.pg_admin_url, db_name)
    text = report(rows, args, versions)
    print("\n" + text)
    if str(args.output) != "-":
        api.write_section(SECTION, text, args.output)
        print(f"wrote the {SECTION!r} section of {args.output}")
    bad = sum(r.non2xx + r.errors for r in rows.values())
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per cell")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds per cell")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--connections", default="16,64", help="comma-separated")
    parser.add_argument("--queries", default=",".join(QUERIES), help="comma-separated")
    parser.add_argument("--workers", type=int, default=1, help="pdex serve --workers")
    parser.add_argument("--npm-dir", type=Path, help="install into / reuse this folder")
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get(
            "PDEX_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    args.connections = [int(c) for c in args.connections.split(",") if c.strip()]
    args.queries = [q.strip() for q in args.queries.split(",") if q.strip()]
    unknown = set(args.queries) - set(QUERIES)
    if unknown:
        parser.error(f"unknown queries: {', '.join(sorted(unknown))}")
    shown = sys.argv[1:] if argv is None else argv
    args.command = " ".join([".venv/bin/python bench/peer.py", *map(shlex.quote, shown)])
    started = time.perf_counter()
    code = asyncio.run(run(args))
    print(f"({time.perf_counter() - started:.0f} s)")
    return code


if __name__ == "__main__":
    sys.exit(main())
