"""Quitting while a job runs: queued jobs are dropped, running ones finish before the interpreter goes.

Before, the app's ``main`` returned as soon as the event loop did: a job still running (the word lists
load after the first page is shown) emitted during Python's shutdown, on a ``WorkerSignals`` already
deleted ("Signal source has been deleted"), or crashed the process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool

from desktop.qt.workers import finish_jobs, run_job

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "resources" / "samples" / "clinical-note.pdf"

# The real entry point, with the word lists' loading made slow enough that it is always running
# when the window quits (after the first page is shown).
_SLOW_LEXICON = """
import sys, time
import desktop.qt.spelling as spelling
real_load = spelling._load
def slow_load(*args, **kwargs):
    time.sleep(1.5)
    print("lexicon job finished", flush=True)
    return real_load(*args, **kwargs)
spelling._load = slow_load
from desktop.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


def test_quitting_while_a_job_runs_waits_for_it_and_exits_cleanly(tmp_path: Path):
    # GIVEN the app started on a PDF, quitting as soon as the first page is shown
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    # WHEN it quits while the word lists are still loading on a worker
    proc = subprocess.run(
        [sys.executable, "-c", _SLOW_LEXICON, str(SAMPLE), "--demo-quit"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # THEN the job ran to its end before the process left, and nothing failed on the way out
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.index("first page shown") < proc.stdout.index("lexicon job finished")
    assert "Signal source has been deleted" not in proc.stderr
    assert "Error calling Python override" not in proc.stderr


def test_finish_jobs_drops_queued_jobs_and_waits_for_running_ones(qtbot):
    # GIVEN a one-thread pool running a slow job, with another queued behind it
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    ran: list[str] = []
    started = threading.Event()

    def slow() -> None:
        started.set()
        time.sleep(0.5)
        ran.append("running")

    run_job(pool, "running", slow, lambda *_: None, lambda *_: None)
    run_job(pool, "queued", lambda: ran.append("queued"), lambda *_: None, lambda *_: None)
    assert started.wait(5)
    # WHEN the app quits
    idle = finish_jobs(10_000)
    # THEN the running job finished first, and the queued one never started
    assert idle
    assert ran == ["running"]
    assert pool.activeThreadCount() == 0


def test_finish_jobs_says_when_a_job_outlives_its_wait(qtbot):
    # GIVEN a job that hangs (a back end that never answers) on the global pool
    release = threading.Event()
    run_job(QThreadPool.globalInstance(), "hung", lambda: release.wait(10), lambda *_: None, lambda *_: None)
    try:
        # WHEN the app quits with a short wait
        t0 = time.perf_counter()
        idle = finish_jobs(200)
        # THEN it reports the job still running, after about the time given
        assert not idle
        assert time.perf_counter() - t0 < 5
    finally:
        release.set()
        QThreadPool.globalInstance().waitForDone(10_000)
