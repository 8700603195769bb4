"""TensorRTBackend against the TensorRT 10 / cuda-python fakes (tests/fakes), plus real-GPU checks.

The fake GPU keeps device memory apart from host memory, runs queued work only at stream
synchronise and counts every allocation, so these tests see what a real GPU would: buffer
reuse, per-thread contexts, chunking and a clean shutdown.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from build_engine.tensorrt_build import TrtOptions, build_plan
from inference.backends import BackendConfig, open_backend
from inference.backends.onnxruntime_cpu import OnnxRuntimeBackend
from inference.backends.tensorrt_engine import INSTALL_HINT, TensorRTBackend, build_info_path, is_available
from inference.errors import BackendUnavailableError, InputError, ModelMismatchError
from inference.spec import ModelSpec, load_spec, sidecar_path
from tests.fakes import FakeGpu, install_gpu_fakes


def build(monkeypatch, onnx_path: Path, plan: Path, **opts) -> tuple:
    """Build ``plan`` on a fresh fake GPU; return (trt, cudart, gpu)."""
    trt, cudart = install_gpu_fakes(monkeypatch)
    build_plan(onnx_path, plan, TrtOptions(**opts))
    return trt, cudart, cudart.fake_gpu


@pytest.fixture()
def fp32_plan(monkeypatch, tiny_onnx, tmp_path):
    plan = tmp_path / "model.plan"
    trt, _cudart, gpu = build(monkeypatch, tiny_onnx, plan, fp16=False)
    return plan, trt, gpu


@pytest.fixture()
def backend(fp32_plan):
    plan, _trt, _gpu = fp32_plan
    be = TensorRTBackend(plan)
    yield be
    be.close()


def batch_of(n: int, spec: ModelSpec, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, *spec.input_shape)).astype(np.float32)


def count_calls(monkeypatch, cls, name: str) -> list:
    calls: list = []
    original = getattr(cls, name)

    def wrapper(self, *args):
        calls.append(args)
        return original(self, *args)

    monkeypatch.setattr(cls, name, wrapper)
    return calls


def test_shapes_profile_and_label(backend, tiny_onnx):
    spec = load_spec(tiny_onnx)
    assert backend.spec == spec
    assert (backend.min_batch, backend.max_batch) == (1, 64)
    assert backend.label.startswith("GPU (TensorRT 10.3.0") and backend.is_remote is False
    out = backend.infer(batch_of(5, spec))
    assert out.shape == (5, *spec.output_shape) and out.dtype == np.float32


def test_chunks_above_max_batch_and_matches_onnx_runtime(fp32_plan, tiny_onnx, monkeypatch):
    plan, trt, _gpu = fp32_plan
    executions = count_calls(monkeypatch, trt.IExecutionContext, "execute_async_v3")
    shapes = count_calls(monkeypatch, trt.IExecutionContext, "set_input_shape")
    be = TensorRTBackend(plan)
    spec = be.spec
    batch = batch_of(150, spec)

    out = be.infer(batch)
    be.close()

    # THEN 150 crops ran as 64 + 64 + 22, each with its own input shape
    assert len(executions) == 3
    assert [s[1][0] for s in shapes] == [64, 64, 22]
    cpu = OnnxRuntimeBackend(tiny_onnx)
    try:
        np.testing.assert_allclose(out, cpu.infer(batch), atol=1e-5)
    finally:
        cpu.close()


def test_fp16_engine_is_close_to_onnx_runtime(monkeypatch, tiny_onnx, tmp_path):
    build(monkeypatch, tiny_onnx, tmp_path / "fp16.plan")
    be = TensorRTBackend(tmp_path / "fp16.plan")
    batch = batch_of(9, be.spec, seed=3)
    out = be.infer(batch)
    be.close()
    cpu = OnnxRuntimeBackend(tiny_onnx)
    np.testing.assert_allclose(out, cpu.infer(batch), atol=2e-2, rtol=1e-2)
    cpu.close()


def test_buffers_are_allocated_once_at_max_batch_and_reused(fp32_plan):
    plan, _trt, gpu = fp32_plan
    be = TensorRTBackend(plan)
    spec = be.spec
    be.infer(batch_of(3, spec))
    mallocs, host_mallocs, streams = gpu.malloc_calls, gpu.malloc_host_calls, gpu.stream_create_calls
    sizes = sorted(len(b) for b in gpu.device_allocs.values())

    for n in (1, 64, 70, 2):
        be.infer(batch_of(n, spec))

    assert (gpu.malloc_calls, gpu.malloc_host_calls, gpu.stream_create_calls) == (mallocs, host_mallocs, streams)
    assert sizes == sorted([64 * int(np.prod(spec.input_shape)) * 4, 64 * int(np.prod(spec.output_shape)) * 4])
    assert len(gpu.host_allocs) == 2  # pinned input and output
    be.close()


def test_profile_with_min_above_one_pads_small_batches(monkeypatch, tiny_onnx, tmp_path):
    build(monkeypatch, tiny_onnx, tmp_path / "m.plan", min_batch=4, opt_batch=8, max_batch=16, fp16=False)
    be = TensorRTBackend(tmp_path / "m.plan")
    batch = batch_of(2, be.spec)
    out = be.infer(batch)
    be.close()
    cpu = OnnxRuntimeBackend(tiny_onnx)
    np.testing.assert_allclose(out, cpu.infer(batch), atol=1e-5)
    cpu.close()


def test_wrong_input_shape_is_an_input_error(backend):
    with pytest.raises(InputError):
        backend.infer(np.zeros((2, 3, 16, 16), np.float32))


def test_fake_refuses_shapes_outside_the_profile(backend):
    # the fake fails as TensorRT does: set_input_shape returns False, it does not raise
    state = backend._state()
    assert state.context.set_input_shape(backend.spec.input_name, (65, *backend.spec.input_shape)) is False
    assert state.context.set_input_shape(backend.spec.input_name, (64, *backend.spec.input_shape)) is True


# --- refusal of plans that do not fit --------------------------------------------------------------


def test_plan_for_another_gpu_is_refused(monkeypatch, fp32_plan):
    plan, _trt, _gpu = fp32_plan
    install_gpu_fakes(monkeypatch, gpu=FakeGpu(name="NVIDIA L4", major=8, minor=9))
    with pytest.raises(ModelMismatchError) as err:
        TensorRTBackend(plan)
    msg = err.value.user_message
    assert "NVIDIA RTX A4000" in msg and "NVIDIA L4" in msg and "notelasso-engine trt" in msg


def test_plan_for_another_gpu_model_with_the_same_compute_capability_is_refused(monkeypatch, fp32_plan):
    plan, _trt, _gpu = fp32_plan
    install_gpu_fakes(monkeypatch, gpu=FakeGpu(name="NVIDIA RTX A6000", major=8, minor=6))
    with pytest.raises(ModelMismatchError, match="RTX A6000"):
        TensorRTBackend(plan)


def test_plan_for_another_tensorrt_version_is_refused(monkeypatch, fp32_plan):
    plan, _trt, _gpu = fp32_plan
    install_gpu_fakes(monkeypatch, trt_version="10.4.0")
    with pytest.raises(ModelMismatchError) as err:
        TensorRTBackend(plan)
    assert "TensorRT 10.3.0" in err.value.user_message and "TensorRT 10.4.0" in err.value.user_message


def test_record_that_lies_is_caught_by_deserialisation(monkeypatch, fp32_plan):
    # GIVEN a build record edited to claim this machine's TensorRT, on a plan from 10.3.0
    plan, _trt, _gpu = fp32_plan
    install_gpu_fakes(monkeypatch, trt_version="10.4.0")
    record = json.loads(build_info_path(plan).read_text())
    record["tensorrt_version"] = "10.4.0"
    build_info_path(plan).write_text(json.dumps(record))
    # THEN deserialise_cuda_engine returns None and the back end says so
    with pytest.raises(ModelMismatchError, match="could not load"):
        TensorRTBackend(plan)


def test_garbage_plan_is_refused(fp32_plan):
    plan, trt, _gpu = fp32_plan
    assert trt.Runtime(trt.Logger()).deserialize_cuda_engine(b"not a plan") is None  # as the real API
    good = plan.read_bytes()
    plan.write_bytes(b"not a plan")
    with pytest.raises(ModelMismatchError, match="could not load"):
        TensorRTBackend(plan)
    plan.write_bytes(good[: len(good) // 2])  # truncated copy
    with pytest.raises(ModelMismatchError, match="could not load"):
        TensorRTBackend(plan)


def test_missing_build_record_or_plan(fp32_plan, tmp_path):
    plan, _trt, _gpu = fp32_plan
    with pytest.raises(BackendUnavailableError, match="not found"):
        TensorRTBackend(tmp_path / "nope.plan")
    build_info_path(plan).unlink()
    with pytest.raises(ModelMismatchError, match="no build record"):
        TensorRTBackend(plan)


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"format": 99}', '{"tensorrt_version": "10.3.0"}'])
def test_malformed_or_newer_build_record_is_refused(fp32_plan, text):
    plan, _trt, _gpu = fp32_plan
    build_info_path(plan).write_text(text)
    with pytest.raises(ModelMismatchError, match=r"malformed|newer NoteLasso"):
        TensorRTBackend(plan)


def test_spec_that_is_not_the_one_built_with_is_refused(fp32_plan):
    plan, _trt, _gpu = fp32_plan
    spec = load_spec(plan)
    other = ModelSpec(**{**{f: getattr(spec, f) for f in ("name", "version")}, "charset": spec.charset[::-1]})
    sidecar_path(plan).write_text(other.to_json())
    with pytest.raises(ModelMismatchError, match="not the one the engine was built with"):
        TensorRTBackend(plan)


def test_spec_with_other_shapes_is_refused_by_the_engine_tensors(fp32_plan):
    # GIVEN an older build record without a spec digest, and a spec with a longer label
    plan, _trt, _gpu = fp32_plan
    record = json.loads(build_info_path(plan).read_text())
    del record["spec_sha256"]
    build_info_path(plan).write_text(json.dumps(record))
    sidecar_path(plan).write_text(ModelSpec(max_label_length=30).to_json())
    with pytest.raises(ModelMismatchError, match="engine output"):
        TensorRTBackend(plan)


# --- availability --------------------------------------------------------------------------------


def test_missing_tensorrt_gives_the_install_hint(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorrt", None)
    assert INSTALL_HINT.startswith("pip install 'notelasso[tensorrt]'")
    assert is_available() == (False, INSTALL_HINT)
    with pytest.raises(BackendUnavailableError) as err:
        TensorRTBackend(tmp_path / "model.plan")
    assert err.value.hint == INSTALL_HINT and err.value.exit_code == 4
    with pytest.raises(BackendUnavailableError) as err:
        open_backend(BackendConfig("tensorrt", {"plan_path": tmp_path / "model.plan"}))
    assert "pip install 'notelasso[tensorrt]'" in (err.value.hint or "")


def test_missing_gpu_is_unavailable(monkeypatch):
    install_gpu_fakes(monkeypatch, gpu=FakeGpu(count=0))
    ok, why = is_available()
    assert not ok and "no CUDA GPU" in why


def test_open_backend_chooses_tensorrt(fp32_plan):
    plan, _trt, _gpu = fp32_plan
    assert is_available() == (True, "")
    be = open_backend(BackendConfig("tensorrt", {"plan_path": plan}))
    assert isinstance(be, TensorRTBackend)
    be.close()


# --- threads and shutdown ------------------------------------------------------------------------


def test_one_execution_context_per_thread(fp32_plan):
    plan, _trt, gpu = fp32_plan
    be = TensorRTBackend(plan)
    spec = be.spec
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def work(seed: int) -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(3):
                be.infer(batch_of(4, spec, seed))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    be.infer(batch_of(2, spec))  # and the main thread gets a fourth

    assert not errors
    contexts = be._engine.fake_contexts
    assert len(contexts) == 4
    assert all(len(c.fake_threads) == 1 for c in contexts)
    assert len({next(iter(c.fake_threads)) for c in contexts}) == 4
    assert len(gpu.streams) == 4
    be.close()


def test_close_frees_all_gpu_and_pinned_memory(fp32_plan):
    plan, _trt, gpu = fp32_plan
    be = TensorRTBackend(plan)
    t = threading.Thread(target=be.infer, args=(batch_of(2, be.spec),))
    t.start()
    t.join(timeout=30)
    be.infer(batch_of(70, be.spec))
    assert gpu.live_allocations() > 0

    be.close()
    be.close()  # idempotent

    assert gpu.live_allocations() == 0
    assert gpu.device_allocs == {} and gpu.host_allocs == {} and gpu.streams == {}
    with pytest.raises(BackendUnavailableError, match="closed"):
        be.infer(batch_of(1, be.spec))


def test_failed_load_leaves_nothing_allocated(monkeypatch, fp32_plan):
    plan, _trt, _gpu = fp32_plan
    _trt2, cudart = install_gpu_fakes(monkeypatch, trt_version="9.9.9")
    with pytest.raises(ModelMismatchError):
        TensorRTBackend(plan)
    assert cudart.fake_gpu.live_allocations() == 0


# --- real TensorRT -------------------------------------------------------------------------------


@pytest.mark.gpu
def test_real_tensorrt_matches_onnx_runtime(real_tensorrt, tiny_onnx, tmp_path):
    plan = tmp_path / "model.plan"
    build_plan(tiny_onnx, plan, TrtOptions(max_batch=16, opt_batch=4, fp16=False))
    be = TensorRTBackend(plan)
    batch = batch_of(40, be.spec)  # 16 + 16 + 8
    out = be.infer(batch)
    be.close()
    cpu = OnnxRuntimeBackend(tiny_onnx)
    np.testing.assert_allclose(out, cpu.infer(batch), atol=1e-3)
    cpu.close()
