"""A server killed in the middle of a run: the client raises RemoteInferenceError, nothing hangs."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from build_engine.triton_repo import RepoOptions, write_repository
from inference.backends import BackendConfig, open_backend
from inference.errors import RemoteInferenceError
from tests.triton.conftest import need_triton_venv

pytestmark = pytest.mark.triton


def test_server_killed_mid_run(tiny_onnx: Path, tmp_path: Path) -> None:
    venv = need_triton_venv()
    from build_engine.triton_server import TritonServer

    write_repository(tiny_onnx, tmp_path / "repo", RepoOptions(model_name="tiny", platform="python", cpu_threads=1))
    with TritonServer(tmp_path / "repo", venv=venv) as server:
        backend = open_backend(
            BackendConfig("triton", {"url": server.grpc_url, "model_name": "tiny", "timeout_s": 5.0})
        )
        # GIVEN a client reading batches in a loop
        done, errors = [0], []

        def loop() -> None:
            batch = np.zeros((8, 3, 32, 128), np.float32)
            try:
                while True:
                    backend.infer(batch)
                    done[0] += 1
            except RemoteInferenceError as exc:
                errors.append(exc)

        worker = threading.Thread(target=loop, daemon=True)
        worker.start()
        deadline = time.monotonic() + 20
        while done[0] < 3 and time.monotonic() < deadline and worker.is_alive():
            time.sleep(0.05)
        assert done[0] >= 3, "the server answered no requests"
        # WHEN the server dies
        server.kill()
        # THEN the loop ends with a RemoteInferenceError within a few seconds (retries included)
        worker.join(timeout=15)
        assert not worker.is_alive(), "the client hung after the server died"
        assert errors and errors[0].status in ("StatusCode.UNAVAILABLE", "StatusCode.INTERNAL", "StatusCode.CANCELLED")
        backend.close()
