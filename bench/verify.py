"""`pdex ledger verify` on a large PostgreSQL log, in one process and in parallel (issue 14 §6).

    .venv/bin/python bench/verify.py [--entries 1000000] [--checkpoints 12] [--output FILE]

Bulk-loads `--entries` ledger entries (~512-byte documents, `bench/ledger.py`'s `BulkLoader`:
canonical JSON in a process pool, COPY into PostgreSQL) into a fresh `pdex_bench_<random>`
database, publishing a signed checkpoint after each of `--checkpoints` equal steps (so the
verifier checks that many roots and BLS signatures), then times `verify_database` with 1 and
with 2 worker processes (ranges of `audit.CHUNK` entries), each step of a range alone
(`bench/ledger.py`'s `verify_parts`), and one real `pdex ledger verify` (default: a worker
per CPU, interpreter start-up included). Each must pass. Beside wall and CPU time of the pdex
processes it counts the CPU of the PostgreSQL backends serving the database (they share the
2 cores). It rewrites the "## Ledger verify (issue 14)" section of BENCHMARKS.md and drops
the database at the end.
"""

# ruff: noqa: E402 (pdex is imported after sys.path is fixed below)
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.util
import os
import platform
import resource
import shlex
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from itertools import repeat
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

_spec = importlib.util.spec_from_file_location("bench_ledger", ROOT / "bench" / "ledger.py")
assert _spec and _spec.loader
bl = importlib.util.module_from_spec(_spec)
sys.modules["bench_ledger"] = bl  # the process pool pickles its functions by this name
_spec.loader.exec_module(bl)

import ledger
from ledger import audit, signing

SECTION = "## Ledger verify (issue 14)"
CLK_TCK = os.sysconf("SC_CLK_TCK")
TARGET_SECONDS = 10.0  # 1,000,000 entries, checkpoints included, on this machine's 2 cores


def cpu_seconds() -> float:
    """This process's CPU time plus its reaped children's (the verify workers, the CLI)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class BackendCpu:
    """CPU seconds of the PostgreSQL backends serving one database, sampled from /proc while
    a run lasts (a backend's title names its database; the last sample of each counts)."""

    def __init__(self, database: str) -> None:
        self.needle = f" {database} ".encode()
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _sample(self) -> None:
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                    if self.needle not in f.read():
                        continue
                with open(f"/proc/{entry.name}/stat") as f:
                    fields = f.read().rsplit(") ", 1)[1].split()
            except OSError:
                continue
            self.seen[int(entry.name)] = (int(fields[11]) + int(fields[12])) / CLK_TCK

    def _poll(self) -> None:
        while not self.stop.wait(0.05):
            self._sample()

    def __enter__(self) -> BackendCpu:
        self._sample()
        self.before = dict(self.seen)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self._sample()

    @property
    def seconds(self) -> float:
        return sum(cpu - self.before.get(pid, 0.0) for pid, cpu in self.seen.items())


def loadavg() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


async def run(
    args: argparse.Namespace, pool: ProcessPoolExecutor, parts: list[tuple[str, float, float]]
) -> list[str]:
    made: list[str] = []
    rows: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="pdex-bench-verify-") as tmp:
            store = await bl.Store.create("postgres", Path(tmp), "verify", made)
            db = await store.open()
            signer = ledger.Signer("pdex.bench/ledger", signing.generate_secret_key())
            loader = bl.BulkLoader(pool, args.pad, set())
            t0 = time.perf_counter()
            for step in range(1, args.checkpoints + 1):
                for entries, nodes in loader.extend(args.entries * step // args.checkpoints):
                    await store.write(entries, nodes)
                await store.finish(loader.head)
                await ledger.publish_checkpoint(db, signer)
            print(
                f"loaded {loader.size:,} entries and {args.checkpoints} checkpoints in "
                f"{time.perf_counter() - t0:.1f} s",
                flush=True,
            )
            database = made[-1]
            for workers in (1, 2):
                load_before = loadavg()
                t0, cpu0 = time.perf_counter(), cpu_seconds()
                with BackendCpu(database) as pg:
                    report = await audit.verify_database(db, workers=workers)
                seconds, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
                assert report.ok, report.problems[:3]
                assert (report.entries, report.checkpoints) == (loader.size, args.checkpoints)
                rows.append(
                    f"| `verify_database(db, workers={workers})` | {seconds:.1f} | "
                    f"{seconds / loader.size * 1e6:.1f} | {cpu:.1f} | {pg.seconds:.1f} | "
                    f"{load_before} |"
                )
                print(rows[-1], flush=True)
            parts[:] = await bl.verify_parts(db, loader.size)
            await db.dispose()
            load_before, cpu0 = loadavg(), cpu_seconds()
            with BackendCpu(database) as pg:
                cli = bl.run_cli_verify(store, Path(tmp))
            cpu = cpu_seconds() - cpu0
            assert cli[1] == 0, cli
            rows.append(
                f"| `pdex ledger verify` (a worker per CPU, start-up included) | {cli[0]:.1f} | "
                f"{cli[0] / loader.size * 1e6:.1f} | {cpu:.1f} | {pg.seconds:.1f} | "
                f"{load_before} |"
            )
            print(rows[-1], cli[2].splitlines()[-1], flush=True)
    finally:
        for name in made:
            await bl.pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return rows


def markdown(
    rows: list[str], parts: list[tuple[str, float, float]], args: argparse.Namespace
) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cells = rows[-1].split("|")
    cli_seconds, cli_cpu, pg_cpu = float(cells[2]), float(cells[4]), float(cells[5])
    # On 2 idle CPUs the run takes at least its CPU time (ours and PostgreSQL's) / 2; the
    # loaded machine gave it a fraction of them, so its wall time is an upper bound.
    scale = 1_000_000 / args.entries
    idle_estimate = (cli_cpu + pg_cpu) / 2 * scale
    met = "met" if idle_estimate < TARGET_SECONDS else "MISSED"
    wall_met = "met" if cli_seconds * scale < TARGET_SECONDS else "missed"
    return "\n".join(
        [
            SECTION,
            "",
            "Written by `bench/verify.py`; rerun it to refresh this section.",
            "",
            f"- Command: `{args.command}`",
            f"- Machine: {os.cpu_count()} CPUs, {platform.platform()}, Python "
            f"{platform.python_version()}, {now}; BLS through `{signing.BACKEND}`",
            f"- Log: {args.entries:,} entries of ~512 bytes bulk-loaded into PostgreSQL, "
            f"{args.checkpoints} signed checkpoints; ranges of {audit.CHUNK:,} entries.",
            "- Load: the machine is shared with other sessions' work (the 1/5/15-minute load "
            "averages before each run are in the table; 2 means both CPUs busy before we "
            "start), so the wall times are upper bounds.",
            "",
            "| run | wall s | wall µs/entry | CPU s (pdex processes) | CPU s (its PostgreSQL "
            "backends) | load average before |",
            "|---|---:|---:|---:|---:|---|",
            *rows,
            "",
            "CPU s (pdex processes) counts this process and its children (the verify workers, "
            "the CLI and its workers); the PostgreSQL column, the backends serving the "
            "benchmark's database, read from /proc every 50 ms while the run lasts.",
            "",
            *bl.parts_table(parts, args.entries),
            "",
            f"Aim: 1,000,000 entries in < {TARGET_SECONDS:.0f} s on 2 cores, checkpoints "
            f"included: the CLI used {cli_cpu:.1f} CPU s and its PostgreSQL backends "
            f"{pg_cpu:.1f}, so {idle_estimate:.1f} s on 2 idle cores — **{met}**; its wall "
            f"time on this loaded machine, {cli_seconds:.1f} s, {wall_met} it"
            + (
                f" (both extrapolated linearly from {args.entries:,})"
                if args.entries != 1_000_000
                else ""
            )
            + ".",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--checkpoints", type=int, default=12)
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    shown = sys.argv[1:] if argv is None else argv
    args.command = " ".join([".venv/bin/python bench/verify.py", *map(shlex.quote, shown)])
    args.pad = max(0, bl.TARGET_DOC_BYTES - len(bl.document_bytes(0)))
    with ProcessPoolExecutor(2) as pool:
        actor = bl.actor_doc(bl.agency(0))
        list(pool.map(bl.canon_chunk, range(2), repeat(1), repeat(actor), repeat(0)))
        parts: list[tuple[str, float, float]] = []
        rows = asyncio.run(run(args, pool, parts))
    text = markdown(rows, parts, args)
    print("\n" + text)
    if str(args.output) != "-":
        bl.api.write_section(SECTION, text, args.output)
        print(f"wrote the {SECTION!r} section of {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
