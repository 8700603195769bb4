"""Fixtures for tests/triton: a real tritonserver (from .venv-triton) on loopback.

The server comes from the ``nvidia-pytriton`` wheel in its own venv (``make triton-venv``, or
$NOTELASSO_TRITON_VENV). Without it, or without tritonclient, the server tests skip with the
reason. Models are served by Triton's Python back end (ONNX Runtime on the CPU).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from build_engine.triton_server import SETUP_HINT, triton_venv


def need_tritonclient() -> None:
    pytest.importorskip("tritonclient.grpc", reason="tritonclient is not installed: pip install 'notelasso[triton]'")


def need_triton_venv() -> Path:
    need_tritonclient()
    venv = triton_venv()
    if not list(venv.glob("lib/python3.*/site-packages/pytriton/tritonserver/bin/tritonserver")):
        pytest.skip(f"no tritonserver in {venv}; set up with: {SETUP_HINT}")
    return venv


def slow_down(model_folder: Path, seconds: float) -> None:
    """Make a generated Python-back-end model sleep ``seconds`` per execute (timeout tests)."""
    model_py = model_folder / "1" / "model.py"
    model_py.write_text(
        model_py.read_text()
        + (
            "\n\nimport time as _time\n_execute = TritonPythonModel.execute\n\n\n"
            "def _slow_execute(self, requests):\n"
            f"    _time.sleep({seconds!r})\n"
            "    return _execute(self, requests)\n\n\n"
            "TritonPythonModel.execute = _slow_execute\n"
        )
    )
