"""Run the whole suite twice: on SQLite and on a fresh PostgreSQL database.

`make test` calls this. Outside CI an unreachable PostgreSQL skips that run with a one-line
reason; with CI=true it fails the run (after trying to start the local cluster once).

Tests marked `slow` (server and CLI processes, pure BLS signing and verification) do not
depend on the suite's engine, or only need one: they run once, in the PostgreSQL run (the
production engine), and in the SQLite run only when PostgreSQL is unreachable. An explicit
`-m` among the arguments is passed through unchanged on both runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "PDEX_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest(label: str, env_extra: dict[str, str], args: list[str]) -> tuple[int, dict[str, int]]:
    print(f"\n=== {label} ===", flush=True)
    env = {**os.environ, **env_extra}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    last = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(line)
        if line.strip():
            last = line
    code = proc.wait()
    counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|skipped|errors?)", last)}
    return code, counts


def _psql(sql: str, url: str = PG_ADMIN_URL) -> None:
    import asyncio

    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(url, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def postgres_available() -> str | None:
    """None if reachable, else the reason."""
    try:
        _psql("SELECT 1")
        return None
    except Exception as exc:  # connection refused, missing role, …
        return f"{type(exc).__name__}: {exc}"


def start_cluster() -> None:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions:
        return
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
        check=False,
    )
    time.sleep(2)


def main() -> int:
    args = sys.argv[1:]
    failures = 0
    totals: dict[str, int] = {}

    def add(code: int, counts: dict[str, int]) -> None:
        nonlocal failures
        failures += code != 0
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value

    reason = postgres_available()
    if reason and IN_CI:
        start_cluster()
        reason = postgres_available()
    once = [] if reason or "-m" in args else ["-m", "not slow"]
    add(*pytest("SQLite", {"PDEX_TEST_DATABASE_URL": ""}, [*once, *args]))
    if reason:
        if IN_CI:
            print(f"PostgreSQL is unreachable in CI ({reason}): failing.", flush=True)
            failures += 1
        else:
            print(f"Skipping the PostgreSQL run: not reachable ({reason}).", flush=True)
    else:
        name = f"pdex_test_{uuid.uuid4().hex[:12]}"
        _psql(f'CREATE DATABASE "{name}"')
        try:
            url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
            add(*pytest("PostgreSQL", {"PDEX_TEST_DATABASE_URL": url}, args))
        finally:
            _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    failed = totals.get("failed", 0) + totals.get("error", 0) + totals.get("errors", 0)
    print(
        f"\ntotal: {totals.get('passed', 0)} passed, {failed} failed, "
        f"{totals.get('skipped', 0)} skipped",
        flush=True,
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
