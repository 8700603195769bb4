"""Work that must not run on the GUI thread: rendering pages, recognising regions, opening back ends.

Each job is a QRunnable on a QThreadPool. A QRunnable is not a QObject, so it carries a small
``WorkerSignals`` holder whose signals are delivered to the GUI thread (queued connection).
Errors are reported as ``(job_id, exception)``; the GUI shows ``user_message`` in one place.

Quitting: :func:`finish_jobs` (called once the event loop has returned) drops the jobs still queued in
every pool a job was started on and waits for the running ones, so no job outlives the interpreter (a
job finishing during Python's shutdown emitted on a deleted ``WorkerSignals``: "Signal source has been
deleted", or a crash).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QDeadlineTimer, QObject, QRunnable, QThreadPool, Signal

from inference.errors import NoteLassoError

log = logging.getLogger(__name__)

__all__ = ["Job", "WorkerSignals", "finish_jobs", "run_job", "user_text"]

#: Every pool a job was started on, by its C++ address. Held strongly: the wrapper PySide gives for
#: ``QThreadPool.globalInstance()`` is a temporary. A pool deleted with its owner (whose deletion waited
#: for its jobs) is dropped at the next start.
_pools: dict[int, QThreadPool] = {}


class WorkerSignals(QObject):
    """Signals of one job: ``finished(job_id, result, elapsed_ms)`` or ``failed(job_id, error)``."""

    finished = Signal(object, object, float)
    failed = Signal(object, object)


class Job(QRunnable):
    """Runs ``fn()`` on a pool thread and reports through ``signals``."""

    def __init__(self, job_id: Any, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.job_id = job_id
        self._fn = fn
        self.signals = WorkerSignals()
        self.setAutoDelete(True)

    def run(self) -> None:
        t0 = time.perf_counter()
        try:
            result = self._fn()
        except Exception as exc:  # noqa: BLE001 - reported to the GUI thread, never swallowed
            log.info("job %s failed: %s", self.job_id, type(exc).__name__)
            self.signals.failed.emit(self.job_id, exc)
            return
        self.signals.finished.emit(self.job_id, result, (time.perf_counter() - t0) * 1e3)


def run_job(
    pool: QThreadPool,
    job_id: Any,
    fn: Callable[[], Any],
    on_finished: Callable[[Any, Any, float], None],
    on_failed: Callable[[Any, Exception], None],
    *,
    priority: int = 0,
) -> WorkerSignals:
    """Start ``fn`` on ``pool``; the callbacks run on the GUI thread.

    Queued jobs of higher ``priority`` start first (a page asked for before thumbnails).
    """
    job = Job(job_id, fn)
    signals = job.signals
    signals.finished.connect(on_finished)
    signals.failed.connect(on_failed)
    _remember(pool)
    pool.start(job, priority)
    return signals


def finish_jobs(msecs: int = 30_000) -> bool:
    """Cancel queued jobs and wait up to ``msecs`` in all for the running ones (the app is quitting).

    Returns True when every pool is idle. Call it after ``app.exec()`` returns: the callbacks of the jobs
    waited for never run (the event loop that would deliver them is gone), and no new job is queued.
    """
    pools = [pool for pool in _pools.values() if shiboken6.isValid(pool)]
    for pool in pools:
        pool.clear()  # not started yet: dropped
    deadline = QDeadlineTimer(msecs)
    idle = all(pool.waitForDone(deadline) for pool in pools)
    if not idle:
        log.warning("jobs still running %d ms after quitting", msecs)
    return idle


def _remember(pool: QThreadPool) -> None:
    for key in [key for key, known in _pools.items() if not shiboken6.isValid(known)]:
        del _pools[key]
    _pools.setdefault(shiboken6.getCppPointer(pool)[0], pool)


def user_text(exc: BaseException) -> str:
    """What staff are told when a job failed: the error's message and hint, never its details."""
    if isinstance(exc, NoteLassoError):
        return exc.user_message + (f" {exc.hint}" if exc.hint else "")
    return f"Unexpected error ({type(exc).__name__})."
