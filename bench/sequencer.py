"""Ledger appends before and after the batched sequencer (issue 14 item 4), in one run.

    .venv/bin/python bench/sequencer.py [--before REV] [--engines postgres,sqlite]
        [--appends 3200] [--rounds 3] [--output FILE]

`--before` (default `214ae65`, main before the sequencer: each append held the ledger head
from the append to its transaction's commit) is checked out into a temporary git worktree;
"after" is this checkout. Each side appends with its own code, on its own fresh database
(PostgreSQL `pdex_bench_<random>`, dropped at the end; SQLite a temporary file), exactly as
`bench/ledger.py` part 1 does: one transaction per append
(`async with db.transaction() as s: await ledger.append(s, kind, actor, body)`), ~512-byte
entries, an agency as actor. Settings: 1, 4 and 16 writers in one process, and 16 writers
spread over 2 processes (8 each: the cross-process case a sequencer batches). For each
setting the sides alternate for `--rounds` rounds; the median round is reported. Each side's
processes are fresh child processes (`python -c`, the side's tree first on sys.path) that wait
for a go line on stdin, so start-up and migration are outside the measured window.

Reported: appends/s (all appends ÷ the slowest process's wall time), p50/p99 latency of one
append's transaction (with the wait for its batch, after), the children's CPU µs per append,
the after ÷ before ratio, and the log verified (`verify_database`) after each side's last run.
It rewrites the "## Ledger sequencer (issue 14)" section of BENCHMARKS.md.
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
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

if "bench_api" not in sys.modules:  # bench/api.py: the section writer the benches share
    _spec = importlib.util.spec_from_file_location("bench_api", ROOT / "bench" / "api.py")
    assert _spec and _spec.loader
    sys.modules["bench_api"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["bench_api"])
api = sys.modules["bench_api"]

SECTION = "## Ledger sequencer (issue 14)"
BEFORE = "214ae65"
SETTINGS = ((1, 1), (4, 1), (16, 1), (8, 2))  # (writers per process, processes)
PG = "postgresql://postgres@127.0.0.1:5432"
PG_DRIVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"

# Run in each child, with the side's tree as argv[1]: its own bench/ledger.py helpers
# (`Store`-free: a Database on the given URL) and its own `ledger`.
CHILD = r"""
import asyncio, importlib.util, json, resource, sys, time, warnings
from dataclasses import replace
root, url, writers, appends, offset, migrate = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
sys.path.insert(0, root)
warnings.filterwarnings("ignore", category=DeprecationWarning)
spec = importlib.util.spec_from_file_location("bench_ledger", root + "/bench/ledger.py")
bl = importlib.util.module_from_spec(spec); sys.modules["bench_ledger"] = bl
spec.loader.exec_module(bl)
from core.db import Database
from core.migrate import upgrade
from core.settings import load_settings
from ledger import audit

pad = max(0, bl.TARGET_DOC_BYTES - len(bl.document_bytes(0)))

async def main():
    db = Database(replace(load_settings(), database_url=url, db_pool_size=20))
    if migrate:
        await upgrade(db.writer)
        print(json.dumps({"ready": True}), flush=True)
        await db.dispose()
        return
    if writers == 0:
        report = await audit.verify_database(db)
        print(json.dumps({"ok": report.ok, "entries": report.entries}), flush=True)
        await db.dispose()
        return
    await bl.run_appends(db, "warm", writers, writers * 4, offset, pad, verify=False)
    print(json.dumps({"ready": True}), flush=True)
    sys.stdin.readline()
    before = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    run = await bl.run_appends(db, "x", writers, appends, offset + 1000, pad, verify=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = {"appends": run.appends, "wall": wall, "cpu": cpu, "latencies": run.latencies}
    print(json.dumps(result), flush=True)
    await db.dispose()

asyncio.run(main())
"""


def child(tree: Path, url: str, *numbers: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tree), url, *map(str, numbers)],
        cwd=tree,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PDEX_CHECKPOINT_INTERVAL": "0"},
    )


def last_json(process: subprocess.Popen[str]) -> dict[str, Any]:
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        raise RuntimeError(f"child failed (exit {process.wait()})")
    return json.loads(line)


def run_setting(tree: Path, url: str, writers: int, processes: int, appends: int, n: int) -> dict:
    """One measured run: `processes` children with `writers` writers each, started together."""
    per_process = appends // processes
    children = [
        child(tree, url, writers, per_process, (n * 10 + p) * 1_000_000, 0)
        for p in range(processes)
    ]
    for c in children:
        last_json(c)  # ready: warmed up
    for c in children:
        assert c.stdin is not None
        c.stdin.write("go\n")
        c.stdin.flush()
    results = [last_json(c) for c in children]
    for c in children:
        c.wait()
    latencies = sorted(x for r in results for x in r["latencies"])
    total = sum(r["appends"] for r in results)
    return {
        "rate": total / max(r["wall"] for r in results),
        "p50": statistics.quantiles(latencies, n=100)[49] * 1e3,
        "p99": statistics.quantiles(latencies, n=100)[98] * 1e3,
        "cpu_us": sum(r["cpu"] for r in results) / total * 1e6,
    }


async def pg_admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(f"{PG}/postgres")
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE)
    parser.add_argument("--engines", default="postgres,sqlite")
    parser.add_argument("--appends", type=int, default=3200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md", help="'-': none")
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    command = " ".join([".venv/bin/python bench/sequencer.py", *map(shlex.quote, sys.argv[1:])])
    made: list[str] = []
    rows: list[str] = []
    verified: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pdex-bench-seq-") as tmp:
        before_tree = Path(tmp) / "before"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(before_tree), args.before],
            check=True,
            capture_output=True,
        )
        sides = {"before": before_tree, "after": ROOT}
        try:
            for engine in engines:
                urls = {}
                for side in sides:
                    if engine == "postgres":
                        made.append(f"pdex_bench_{os.urandom(4).hex()}")
                        asyncio.run(pg_admin(f'CREATE DATABASE "{made[-1]}"'))
                        urls[side] = f"{PG_DRIVER}/{made[-1]}"
                    else:
                        urls[side] = f"sqlite+aiosqlite:///{tmp}/{side}.sqlite3"
                    migrated = child(sides[side], urls[side], 0, 0, 0, 1)
                    last_json(migrated)
                    migrated.wait()
                for writers, processes in SETTINGS:
                    if engine == "sqlite" and processes > 1:
                        continue  # the embedded default runs one process
                    runs: dict[str, list[dict]] = {side: [] for side in sides}
                    for n in range(args.rounds):
                        for side in sides:
                            runs[side].append(
                                run_setting(
                                    sides[side], urls[side], writers, processes, args.appends, n
                                )
                            )
                    median = {
                        side: sorted(runs[side], key=lambda r: r["rate"])[len(runs[side]) // 2]
                        for side in sides
                    }
                    b, a = median["before"], median["after"]
                    where = f"{writers * processes} in {processes} process"
                    rows.append(
                        f"| {engine} | {where}{'es' if processes > 1 else ''} | {b['rate']:,.0f} "
                        f"| **{a['rate']:,.0f}** | **{a['rate'] / b['rate']:.2f}** "
                        f"| {b['p50']:.1f} / {b['p99']:.1f} | {a['p50']:.1f} / {a['p99']:.1f} "
                        f"| {b['cpu_us']:,.0f} / {a['cpu_us']:,.0f} |"
                    )
                    print(rows[-1], flush=True)
                for side in sides:
                    check = child(sides[side], urls[side], 0, 0, 0, 0)
                    result = last_json(check)
                    check.wait()
                    verified.append(
                        f"{engine} {side}: {'ok' if result['ok'] else 'FAILED'}, "
                        f"{result['entries']:,} entries"
                    )
        finally:
            for name in made:
                asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before_tree)],
                capture_output=True,
            )
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join(
        [
            SECTION,
            "",
            f"- Machine: {os.cpu_count()} CPUs, {platform.platform()}, Python "
            f"{platform.python_version()}; {when}; command: `{command}`",
            f"- before = `{args.before}` (append holds the ledger head until its commit); after = "
            "this tree (facts queued in the transaction, sequenced in batches after it commits, "
            "the mutation waits for its batch). One transaction per append, ~512-byte entries, "
            f"{args.appends:,} appends per run, median of {args.rounds} interleaved rounds; "
            "latency is one append's transaction including the wait for its batch.",
            "",
            "| engine | writers | before appends/s | after appends/s | after ÷ before "
            "| before p50 / p99 ms | after p50 / p99 ms | CPU µs/append before / after |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            "- Verified after the runs (`verify_database`): " + "; ".join(verified) + ".",
        ]
    )
    print("\n" + text)
    if str(args.output) != "-":
        api.write_section(SECTION, text + "\n", args.output)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
