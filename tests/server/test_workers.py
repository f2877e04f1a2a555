"""`pdex serve --workers N`: a worker still starting is not taken for a hung one, and every
replaced worker is logged with the reason (exit status, signal, or no answer in time).

uvicorn's supervisor killed workers whose first health-check answer came after 5 s: on a busy
machine, spawning a worker (re-importing the `pdex` script) and importing the app took longer,
and it logged only `Child process [N] died`. These tests drive `Supervisor` with stand-in
processes, so they need no server and take milliseconds.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import SimpleNamespace

from uvicorn.config import STARTUP_FAILURE

from server.workers import Supervisor


class FakeConn:
    def __init__(self, worker: FakeWorker) -> None:
        self.worker = worker
        self.sent = 0

    def send(self, message: bytes) -> None:
        self.sent += 1

    def poll(self, timeout: float) -> bool:
        return self.worker.answers and self.sent > 0

    def recv(self) -> bool:
        self.sent -= 1
        return self.worker.started


class FakeWorker:
    """A worker process as `Supervisor` sees it."""

    pids = iter(range(1000, 2000))

    def __init__(self, *, answers: bool = False, started: bool = False) -> None:
        self.pid = next(self.pids)
        self.answers = answers  # its ping thread is up
        self.started = started  # its server finished start-up
        self.exitcode: int | None = None
        self.killed = False
        self.process = SimpleNamespace(is_alive=lambda: self.exitcode is None and not self.killed)
        self.parent_conn = FakeConn(self)

    def ping(self, timeout: float) -> bool:
        return self.answers

    def kill(self) -> None:
        self.killed = True

    def join(self) -> None:
        pass


def supervisor(*workers: FakeWorker) -> tuple[Supervisor, list[FakeWorker]]:
    sup = Supervisor.__new__(Supervisor)  # without installing its signal handlers in pytest
    sup.config = SimpleNamespace(timeout_worker_healthcheck=5)
    sup.should_exit = threading.Event()
    sup.processes = list(workers)
    sup.started_at, sup.ready, sup.pinged = {}, set(), set()
    replacements: list[FakeWorker] = []

    def new() -> FakeWorker:
        replacements.append(FakeWorker())
        sup.started_at[id(replacements[-1])] = time.monotonic()
        return replacements[-1]

    sup._new = new  # type: ignore[method-assign]
    return sup, replacements


def test_a_starting_worker_that_cannot_answer_yet_is_left_to_start(caplog):
    importing = FakeWorker(answers=False)  # spawn is still re-importing modules
    sup, replacements = supervisor(importing)
    with caplog.at_level(logging.INFO, logger="pdex.workers"):
        for _ in range(3):
            sup.keep_subprocess_alive()
        assert not importing.killed and replacements == []
        assert importing.parent_conn.sent == 1  # one ping at a time, not one per round

        importing.answers = True  # its ping thread is up; the app is still importing
        sup.keep_subprocess_alive()
        assert not importing.killed and id(importing) not in sup.ready

        importing.started = True
        sup.keep_subprocess_alive()
        sup.keep_subprocess_alive()
        assert id(importing) in sup.ready and not importing.killed
    assert [r.getMessage() for r in caplog.records] == ["worker ready"]


def test_a_worker_that_never_finishes_starting_is_replaced_with_the_reason(caplog):
    stuck = FakeWorker(answers=True, started=False)
    sup, replacements = supervisor(stuck)
    sup.keep_subprocess_alive()
    sup.started_at[id(stuck)] -= sup.start_timeout + 1
    with caplog.at_level(logging.ERROR, logger="pdex.workers"):
        sup.keep_subprocess_alive()
    assert stuck.killed and sup.processes == replacements
    assert f"worker {stuck.pid} was not ready" in caplog.records[0].getMessage()


def test_a_ready_worker_that_stops_answering_is_replaced_as_hung(caplog):
    worker = FakeWorker(answers=True, started=True)
    sup, replacements = supervisor(worker)
    sup.keep_subprocess_alive()
    worker.answers = False
    with caplog.at_level(logging.ERROR, logger="pdex.workers"):
        sup.keep_subprocess_alive()
    assert worker.killed and len(replacements) == 1
    assert "did not answer the health check within 5 s (hung)" in caplog.text


def test_a_dead_worker_is_logged_with_how_it_died(caplog):
    killed, exited = FakeWorker(), FakeWorker()
    killed.exitcode, exited.exitcode = -signal.SIGKILL, 1
    sup, replacements = supervisor(killed, exited)
    with caplog.at_level(logging.ERROR, logger="pdex.workers"):
        sup.keep_subprocess_alive()
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        f"worker {killed.pid} was killed by SIGKILL (out of memory? see the kernel log); "
        "starting a new one",
        f"worker {exited.pid} exited with status 1; starting a new one",
    ]
    assert sup.processes == replacements and not sup.should_exit.is_set()


def test_a_worker_that_fails_to_start_stops_the_server(caplog):
    broken = FakeWorker()
    broken.exitcode = STARTUP_FAILURE
    sup, replacements = supervisor(broken)
    with caplog.at_level(logging.ERROR, logger="pdex.workers"):
        sup.keep_subprocess_alive()
    assert sup.should_exit.is_set() and replacements == []
    assert "failed to start" in caplog.text and "stopping" in caplog.text
