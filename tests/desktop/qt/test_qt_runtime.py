"""The Qt binding the app runs on keeps Python's reference counts straight.

PySide6-Essentials 6.12.0 drops one reference to ``True`` on every signal emitted from
Python. On Python 3.11 ``True`` is not immortal, so the window aborts with "Fatal Python
error: bool_dealloc" after a few thousand emits (zooming, resizing, reading regions): a
review in progress would crash. pyproject.toml excludes that release; this test catches
any installed binding with the same defect. It runs in a child process, so that a binding
with the defect fails this test instead of aborting the whole run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QCoreApplication, QObject, Signal

    class Emitter(QObject):
        number = Signal(float)
        bare = Signal()

    app = QCoreApplication([])
    emitter = Emitter()
    seen = []
    emitter.number.connect(seen.append)
    emitter.bare.connect(lambda: None)
    before = sys.getrefcount(True), sys.getrefcount(False)
    for i in range(5000):
        emitter.number.emit(float(i))
        emitter.bare.emit()
    after = sys.getrefcount(True), sys.getrefcount(False)
    print(len(seen), after[0] - before[0], after[1] - before[1])
""")


def test_emitting_signals_does_not_drop_references_to_bools() -> None:
    import PySide6

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, (
        f"PySide6 {PySide6.__version__} crashed while emitting signals (see pyproject.toml):\n{proc.stderr[-800:]}"
    )
    count, d_true, d_false = (int(v) for v in proc.stdout.split())
    assert count == 5000
    assert d_true > -100 and d_false > -100, f"PySide6 {PySide6.__version__} drops references: {d_true}, {d_false}"
