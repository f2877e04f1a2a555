"""`pdex serve --workers N`: uvicorn's process supervisor, told apart a slow start from a hang.

Why workers "died" before the server became ready (issue 10 §7): uvicorn's supervisor pings
each worker every 0.5 s and kills one that does not answer within `timeout_worker_healthcheck`
(5 s), then logs only `Child process [N] died`. A worker answers pings from a thread it starts
only after multiprocessing's spawn has re-imported the `pdex` script and its imports, and then
imports the app (≈3.5 s of CPU here under load: strawberry schema, SQLAlchemy, py-ecc). On a
busy machine the first answer came after the 5 s, so healthy, starting workers were killed and
restarted, each restart as slow as the last. `Supervisor` gives a worker that is still
starting `PDEX_WORKER_START_TIMEOUT` (default 60 s) before a missing answer counts, and says
why it replaces a worker: exit status, signal, or no answer in time. Each worker logs in the
same JSON format as the parent, and a fatal crash dumps its traceback (faulthandler).
"""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import time
from typing import Any

from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess, Process

log = logging.getLogger("pdex.workers")

START_TIMEOUT = float(os.environ.get("PDEX_WORKER_START_TIMEOUT", "60"))


def worker_app() -> Any:
    """The factory each worker process runs: logging as the parent's, then the app."""
    from core.settings import get_settings
    from server.app import create_app
    from server.logs import configure_logging

    faulthandler.enable()  # a segfault or abort in a worker leaves its traceback on stderr
    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings)


def exit_reason(exitcode: int | None) -> str:
    if exitcode is None:
        return "is still running"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (out of memory? see the kernel log)" if -exitcode == signal.SIGKILL else ""
        return f"was killed by {name}{hint}"
    if exitcode == STARTUP_FAILURE:
        return "failed to start (see its log lines above)"
    return f"exited with status {exitcode}"


class Supervisor(Multiprocess):
    """uvicorn's `Multiprocess` with a start-up grace and a reason for every replacement."""

    start_timeout = START_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.started_at: dict[int, float] = {}  # id(Process) → when it was started
        self.ready: set[int] = set()  # id(Process) of workers that finished start-up
        self.pinged: set[int] = set()  # starting workers with a ping not yet answered

    def _new(self) -> Process:
        process = Process(self.config, self.sockets)
        process.start()
        self.started_at[id(process)] = time.monotonic()
        return process

    def init_processes(self) -> None:
        for _ in range(self.processes_num):
            self.processes.append(self._new())

    def check(self, process: Process) -> str | None:
        """None while the worker is fine (or still starting in time), else why it must go."""
        if not process.process.is_alive():
            return exit_reason(process.exitcode)
        key = id(process)
        if key in self.ready:
            if process.ping(timeout=self.config.timeout_worker_healthcheck):
                return None
            return (
                f"did not answer the health check within "
                f"{self.config.timeout_worker_healthcheck} s (hung)"
            )
        age = time.monotonic() - self.started_at.setdefault(key, time.monotonic())
        if self.answer(process):  # it answers, and its server finished start-up
            self.ready.add(key)
            log.info("worker ready", extra={"pid": process.pid, "seconds": round(age, 1)})
            return None
        if age < self.start_timeout:
            return None  # still importing or starting: not a hang
        return (
            f"was not ready {self.start_timeout:g} s after it was started "
            "(PDEX_WORKER_START_TIMEOUT)"
        )

    def answer(self, process: Process) -> bool | None:
        """A starting worker's answer (True: started), None while it cannot answer yet. One
        ping at a time: pings sent while it imports would queue and be answered late."""
        key = id(process)
        try:
            if key not in self.pinged:
                process.parent_conn.send(b"ping")
                self.pinged.add(key)
            if not process.parent_conn.poll(0.2):
                return None
            self.pinged.discard(key)
            return bool(process.parent_conn.recv())
        except (OSError, EOFError):
            return None

    def keep_subprocess_alive(self) -> None:
        for idx, process in enumerate(self.processes):
            if self.should_exit.is_set():
                return  # the parent is exiting: no replacements
            reason = self.check(process)
            if reason is None:
                continue
            failed_start = process.exitcode == STARTUP_FAILURE
            process.kill()
            process.join()
            self.started_at.pop(id(process), None)
            self.ready.discard(id(process))
            self.pinged.discard(id(process))
            if failed_start:
                # It would fail the same way on every restart (app, database, settings).
                log.error("worker %s %s; stopping", process.pid, reason)
                self.should_exit.set()
                return
            log.error("worker %s %s; starting a new one", process.pid, reason)
            self.processes[idx] = self._new()
