"""A database pdex can read but not write (an immutable SQLite file or directory) is found at
start: /readyz answers 503 with the reason, and the background jobs wait instead of logging a
traceback every few seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from core import migrate
from core.db import Database
from server import tasks
from server.app import create_app


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[None]:
    """`chattr +i`: not even root may write it (a read-only mount behaves the same)."""
    if shutil.which("chattr") is None:
        pytest.skip("needs chattr")
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot make a file immutable here: {made.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.fixture
async def sqlite_file(settings, tmp_path):
    """A migrated SQLite database of its own (the point is the file, whatever the engine)."""
    local = replace(settings, database_url=f"sqlite+aiosqlite:///{tmp_path / 'ro.sqlite3'}")
    db = Database(local)
    await migrate.upgrade(db.writer)
    await db.dispose()
    return local, tmp_path / "ro.sqlite3"


@pytest.mark.parametrize("what", ["file", "directory"])
async def test_a_read_only_sqlite_database_is_not_ready_and_says_why(sqlite_file, what):
    local, path = sqlite_file
    app = create_app(local)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://pdex.test") as http:
            assert (await http.get("/readyz")).status_code == 200
            with immutable(path if what == "file" else path.parent):
                ready = await http.get("/readyz")
                assert ready.status_code == 503
                body = ready.json()
                assert body["database"] == "read-only"
                assert "read-only" in body["reason"] and str(path.parent) in body["reason"]
                assert app.state.db.storage_problem() == body["reason"]
            assert (await http.get("/readyz")).status_code == 200
    finally:
        await app.state.db.dispose()


async def test_background_jobs_wait_on_a_read_only_database_without_tracebacks(sqlite_file, caplog):
    local, path = sqlite_file
    db = Database(local)
    runs: list[int] = []

    async def job() -> None:
        runs.append(1)
        raise RuntimeError("attempt to write a readonly database")

    try:
        with caplog.at_level(logging.INFO, logger="pdex.tasks"), immutable(path):
            loop = asyncio.create_task(tasks.every(0.01, job, "checkpoint", db))
            await asyncio.sleep(0.2)
            loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        assert runs == []  # it never tried to write
        paused = [r for r in caplog.records if r.getMessage() == "background job paused"]
        assert len(paused) == 1 and "read-only" in paused[0].reason
        assert not any(r.exc_info for r in caplog.records)

        caplog.clear()  # a job failing again and again: one traceback, then one line each
        with caplog.at_level(logging.INFO, logger="pdex.tasks"):
            loop = asyncio.create_task(tasks.every(0.01, job, "checkpoint", db))
            while len(runs) < 4:
                await asyncio.sleep(0.01)
            loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        failed = [r for r in caplog.records if r.name == "pdex.tasks"]
        assert [bool(r.exc_info) for r in failed[:4]] == [True, False, False, False]
    finally:
        await db.dispose()


@pytest.mark.slow
def test_migrate_on_a_read_only_sqlite_file_is_one_line_and_exit_2(sqlite_file, tmp_path):
    import os
    import sys

    local, path = sqlite_file
    pdex = str(Path(sys.executable).parent / "pdex")
    env = {**os.environ, "PDEX_DATABASE_URL": f"sqlite:///{path}", "PDEX_DATA_DIR": str(tmp_path)}
    with immutable(path):
        result = subprocess.run([pdex, "migrate"], env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"error: the SQLite file {path} is read-only (immutable or not writable)"
    )
