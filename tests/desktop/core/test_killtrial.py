"""The kill -9 trial, short: random kills during a stream of edits lose no acknowledged edit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.desktop.core.conftest import ROOT


def test_the_kill_trial_loses_no_acknowledged_edit(tmp_path: Path) -> None:
    # GIVEN the kill trial, short (the script runs thousands: python -m desktop.core.killtrial --kills 1000)
    if not hasattr(os, "fork"):
        pytest.skip("the kill trial forks writers (POSIX)")
    cmd = [sys.executable, "-m", "desktop.core.killtrial", "--kills", "8", "--max-wait", "0.5", "--dir", str(tmp_path)]
    # WHEN writers are killed at random during a stream of edits
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    # THEN every acknowledged edit is there after reopening, with its audit entry; SQLite finds every file
    # sound and every audit chain verifies
    assert proc.returncode == 0, proc.stdout + proc.stderr
    figures = dict(line.split(": ") for line in proc.stdout.strip().splitlines())
    assert figures["kills"] == "8" and int(figures["acknowledged edits"]) > 0
    assert figures["lost edits"] == "0" and figures["integrity_check failed"] == "0"
    assert figures["reopenings with a notice"] == "0" and figures["writer errors"] == "0"
    assert figures["acknowledged edits without an audit entry"] == "0" and figures["audit chain broken"] == "0"
