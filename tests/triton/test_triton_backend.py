"""TritonBackend against a real tritonserver on loopback (Python back end, ONNX Runtime on CPU).

One server per module serves four models: the micro PARSeq export, the tiny model, a model
whose published spec disagrees with its tensors, and a model that sleeps past the timeout.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from build_engine.triton_repo import RepoOptions, pbtxt_string, render_config, write_repository
from inference.backends import BackendConfig, open_backend
from inference.backends.onnxruntime_cpu import OnnxRuntimeBackend
from inference.errors import ModelMismatchError, RemoteInferenceError
from inference.preprocess import resize_normalise
from inference.recognizer import Recognizer
from inference.spec import ModelSpec
from inference.textimage import render_lines
from tests.fakes.tiny_models import write_tiny_model
from tests.triton.conftest import need_triton_venv, slow_down

pytestmark = pytest.mark.triton

SLOW_S = 3.0


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    venv = need_triton_venv()  # skip before paying for the model export
    micro_onnx, tiny_onnx = request.getfixturevalue("micro_onnx"), request.getfixturevalue("tiny_onnx")
    from build_engine.triton_server import TritonServer

    repo = tmp_path_factory.mktemp("triton-repo")
    small: dict[str, Any] = {
        "platform": "python",
        "max_batch_size": 16,
        "preferred_batch_sizes": (4, 16),
        "cpu_threads": 1,
    }
    write_repository(micro_onnx, repo, RepoOptions(model_name="micro", **small))
    write_repository(tiny_onnx, repo, RepoOptions(model_name="tiny", **small))
    slow_down(write_repository(tiny_onnx, repo, RepoOptions(model_name="slow", **small)), SLOW_S)
    # "wrong_shape": tensors give 31 steps, but the published spec says 26.
    wrong = ModelSpec(max_label_length=30)
    folder = write_repository(
        write_tiny_model(tmp_path_factory.mktemp("wrong"), spec=wrong),
        repo,
        RepoOptions(model_name="wrong_shape", **small),
    )
    text = render_config(wrong, RepoOptions(model_name="wrong_shape", **small))
    as_pbtxt = lambda s: pbtxt_string(json.dumps(s.to_dict(), sort_keys=True, separators=(",", ":")))  # noqa: E731
    (folder / "config.pbtxt").write_text(text.replace(as_pbtxt(wrong), as_pbtxt(ModelSpec())))
    srv = TritonServer(repo, venv=venv)
    srv.start(timeout_s=120)
    yield srv
    srv.stop()


def open_triton(server, model: str, **options):
    cfg = BackendConfig("triton", {"url": server.grpc_url, "model_name": model, **options})
    return open_backend(cfg)


def word_crops(n: int) -> list[np.ndarray]:
    rendered = render_lines(["BP 128/82 HR 72 Metformin 500 mg PO BID", "patient seen today follow up"], font_size=30)
    crops = [rendered.image[y0:y1, x0:x1] for line in rendered.lines for _, (x0, y0, x1, y1) in line]
    return [crops[i % len(crops)] for i in range(n)]


def test_contract_same_logits_and_text_as_cpu(server, micro_onnx: Path) -> None:
    # GIVEN the same exported model locally on ONNX Runtime and on Triton
    cpu = OnnxRuntimeBackend(micro_onnx, threads=1)
    remote = open_triton(server, "micro")
    try:
        assert remote.is_remote and remote.spec == cpu.spec and remote.max_batch == 16
        crops = word_crops(37)  # more than max_batch: three concurrent chunks
        batch = np.stack([resize_normalise(c, cpu.spec) for c in crops])
        # WHEN both read the crops
        want, got = cpu.infer(batch), remote.infer(batch)
        # THEN the logits and the decoded text agree
        assert got.dtype == np.float32 and got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=1e-4)
        assert [d.text for d in Recognizer(remote).read_crops(crops)] == [
            d.text for d in Recognizer(cpu).read_crops(crops)
        ]
    finally:
        remote.close()
        cpu.close()


def test_concurrent_callers_share_one_backend(server) -> None:
    from concurrent.futures import ThreadPoolExecutor

    remote = open_triton(server, "tiny")
    try:
        rng = np.random.default_rng(1)
        batches = [rng.standard_normal((n, 3, 32, 128)).astype(np.float32) for n in (1, 5, 20, 3, 8, 40)]
        with ThreadPoolExecutor(6) as pool:
            results = list(pool.map(remote.infer, batches))
        for b, r in zip(batches, results):
            assert r.shape == (b.shape[0], 26, 95)
            np.testing.assert_allclose(r[0], remote.infer(b[:1])[0], atol=1e-5)
    finally:
        remote.close()


def test_local_spec_is_compared(server, tiny_onnx: Path) -> None:
    # the tiny model's own sidecar agrees ...
    open_triton(server, "tiny").close()
    from inference.backends.triton_grpc import TritonBackend

    TritonBackend(server.grpc_url, "tiny", local_spec=tiny_onnx).close()
    # ... a local model with another charset does not
    with pytest.raises(ModelMismatchError, match="charset"):
        TritonBackend(server.grpc_url, "tiny", local_spec=ModelSpec(charset="0123456789"))


def test_wrong_shape_model_is_refused_on_connect(server) -> None:
    with pytest.raises(ModelMismatchError, match=r"output 'logits'.*\[-1, 31, 95\]"):
        open_triton(server, "wrong_shape")


def test_unknown_model_is_a_clear_error(server) -> None:
    with pytest.raises(RemoteInferenceError, match="not ready") as info:
        open_triton(server, "no_such_model")
    assert "model-name" in (info.value.hint or "")


def test_slow_model_times_out_without_hanging(server) -> None:
    remote = open_triton(server, "slow", timeout_s=SLOW_S + 10)  # connecting does not run the model
    remote.timeout_s = 0.5
    try:
        t0 = time.monotonic()
        with pytest.raises(RemoteInferenceError, match="did not answer in time") as info:
            remote.infer(np.zeros((2, 3, 32, 128), np.float32))
        assert time.monotonic() - t0 < 2.0
        assert info.value.status == "StatusCode.DEADLINE_EXCEEDED"
    finally:
        remote.close()


def test_headers_reach_the_server(server) -> None:
    from inference.backends.triton_grpc import TritonBackend

    # Triton ignores unknown headers; upper-case keys must not break gRPC metadata rules.
    for remote in (
        open_triton(server, "tiny", token_header="Authorization: Bearer test-token"),
        TritonBackend(server.grpc_url, "tiny", headers={"Authorization": "Bearer t", "X-Client": "nl"}),
    ):
        try:
            assert remote.infer(np.zeros((1, 3, 32, 128), np.float32)).shape == (1, 26, 95)
        finally:
            remote.close()


def test_server_statistics_count_our_requests(server) -> None:
    import tritonclient.grpc as grpcclient

    client = grpcclient.InferenceServerClient(server.grpc_url)
    before = client.get_inference_statistics("tiny", as_json=True)["model_stats"][0].get("inference_count", 0)
    remote = open_triton(server, "tiny")
    remote.infer(np.zeros((20, 3, 32, 128), np.float32))
    remote.close()

    def counted() -> int:
        stats = client.get_inference_statistics("tiny", as_json=True)["model_stats"][0]
        return int(stats.get("inference_count", 0)) - int(before)

    # the server records a request's statistics just after answering it: a loaded machine may ask first
    deadline = time.monotonic() + 10
    while counted() < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    after = counted()
    client.close()
    assert after == 20


def test_load_benchmark_reports_both_clients(server) -> None:
    from inference.bench_triton import NAIVE, OURS, run_load_benchmark

    lines: list[str] = []
    rows = run_load_benchmark(
        server.grpc_url,
        "tiny",
        users=(1, 3),
        seconds=0.5,
        crops_per_request=4,
        http_url=server.http_url,
        out=lines.append,
    )
    assert [(r["client"], r["users"]) for r in rows] == [(OURS, 1), (NAIVE, 1), (OURS, 3), (NAIVE, 3)]
    assert all(r["requests"] > 0 and r["errors"] == 0 for r in rows)
    assert rows[0]["server_avg_batch"] >= 4  # one gRPC request carries the whole lasso
    assert rows[1]["server_avg_batch"] >= 1
    assert all(r["p50_ms"] <= r["p95_ms"] <= r["p99_ms"] for r in rows)
    assert any("ours/naive" in line for line in lines)
