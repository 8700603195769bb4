"""A second launch with a file hands it to the running window; ``--version``; Help > Open the sample note."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.qt.actions import ACTIONS, SAMPLE_NOTE
from desktop.qt.handoff import HandOffServer, hand_off, server_name
from tests.desktop.qt.conftest import wait_page

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[3]


def test_a_path_sent_to_the_server_is_received_and_acknowledged(qtbot, tmp_path: Path):
    # GIVEN a server listening under a name of its own
    name = server_name("test", str(tmp_path))
    server = HandOffServer(name)
    assert server.is_listening
    target = tmp_path / "a note é.pdf"
    code = (
        "import sys; from pathlib import Path; from desktop.qt.handoff import hand_off; "
        f"sys.exit(0 if hand_off({name!r}, Path({str(target)!r})) else 1)"
    )
    # WHEN another process hands it a path (the server answers from this event loop)
    with qtbot.waitSignal(server.file_received, timeout=20000) as blocker:
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=20000)
    # THEN the server emits the path, and the sender is told it was taken
    assert blocker.args == [str(target)]
    assert proc.returncode == 0


def test_nobody_listening_means_no_hand_off(tmp_path: Path):
    assert hand_off(server_name("nobody", str(tmp_path)), tmp_path / "x.pdf", timeout_ms=300) is False


def test_a_second_server_does_not_take_the_name_of_a_live_one(qtbot, tmp_path: Path):
    name = server_name("twice", str(tmp_path))
    first = HandOffServer(name)
    second = HandOffServer(name)
    assert first.is_listening
    assert not second.is_listening


def test_a_second_launch_with_a_file_opens_it_in_the_running_window(qtbot, tmp_path: Path, note_pdf: Path):
    # GIVEN the app running with its own settings and review folder, no document open
    from desktop.app import build_app

    own = ["--settings-file", str(tmp_path / "s.ini"), "--store-dir", str(tmp_path / "store")]
    _app, window = build_app(own, single_instance=True)
    qtbot.addWidget(window)
    window.show()
    # WHEN `notelasso FILE` is launched again with the same settings
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktop", str(note_pdf), *own],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"},
    )
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=30000)
    # THEN that launch exits at once and the running window shows the file
    assert proc.returncode == 0
    wait_page(qtbot, window)
    assert window.documents.document is not None
    assert window.documents.document.path.resolve() == note_pdf.resolve()
    window.close()


def test_version_prints_the_app_and_model_versions():
    out = subprocess.run(
        [sys.executable, "-m", "desktop", "--version"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert out.startswith("notelasso ")
    assert "notelasso-parseq" in out


def test_help_menu_opens_the_bundled_sample():
    spec = next(a for a in ACTIONS if a.id == "sample")
    assert spec.menu == "Help"
    assert spec.slot == "open_path"
    assert spec.args == (str(SAMPLE_NOTE),)
    assert SAMPLE_NOTE.is_file()
