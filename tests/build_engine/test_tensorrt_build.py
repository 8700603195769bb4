"""``notelasso-engine trt`` against the TensorRT 10 / cuda-python fakes (tests/fakes), plus real-GPU checks.

The fakes fail as the real API fails (False / None / logged errors, never exceptions), so these
tests exercise the same error paths a real build takes. Tests marked ``gpu`` use the real
TensorRT and skip with the reason when it is not importable.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import onnx
import pytest

from build_engine import cli
from build_engine.onnx_check import make_axesless_squeeze_model
from build_engine.tensorrt_build import TIMING_CACHE_NAME, TrtOptions, build_plan, synthetic_crops
from inference.backends.tensorrt_engine import BuildInfo, build_info_path, spec_digest
from inference.errors import BackendUnavailableError, InputError, ModelMismatchError
from inference.spec import ModelSpec, load_spec, sidecar_path
from tests.fakes import FakeGpu, install_gpu_fakes
from tests.fakes.tensorrt_fake import PLAN_MAGIC

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def fakes(monkeypatch):
    trt, cudart = install_gpu_fakes(monkeypatch)
    return trt, cudart, cudart.fake_gpu


def plan_blob(plan: Path) -> dict:
    data = plan.read_bytes()
    assert data.startswith(PLAN_MAGIC)
    return json.loads(data[len(PLAN_MAGIC) :])


def write_model_with_ops(folder: Path, ops: dict[str, str]) -> Path:
    """The tiny model with some nodes (by name) swapped for ops TensorRT has no importer for."""
    from tests.fakes.tiny_models import write_tiny_model

    path = write_tiny_model(folder)
    model = onnx.load(str(path))
    for node in model.graph.node:
        if node.name in ops:
            node.op_type = ops[node.name]
    onnx.save(model, str(path))
    return path


def test_build_writes_plan_spec_and_build_info(fakes, tiny_onnx, tmp_path):
    _trt, _cudart, gpu = fakes
    plan = tmp_path / "engines" / "model.plan"

    info = build_plan(tiny_onnx, plan, TrtOptions())

    # THEN the plan, the ModelSpec sidecar and the build record lie side by side
    assert plan.is_file() and sidecar_path(plan).is_file() and build_info_path(plan).is_file()
    assert load_spec(plan) == load_spec(tiny_onnx)
    assert BuildInfo.read(plan) == info
    assert (info.tensorrt_version, info.gpu_name, info.compute_capability) == ("10.3.0", gpu.name, "8.6")
    assert (info.min_batch, info.opt_batch, info.max_batch, info.precision) == (1, 8, 64, "fp16")
    assert info.spec_sha256 == spec_digest(load_spec(tiny_onnx))
    assert "notelasso-engine trt" in info.rebuild_command and "--max-batch 64" in info.rebuild_command
    # AND the engine was built with the default profile and FP16
    blob = plan_blob(plan)
    spec = load_spec(tiny_onnx)
    assert blob["profiles"] == [
        {spec.input_name: [[1, *spec.input_shape], [8, *spec.input_shape], [64, *spec.input_shape]]}
    ]
    assert blob["inputs"] == [[spec.input_name, [-1, *spec.input_shape]]]
    assert blob["fp16"] is True and blob["int8"] is False
    assert json.loads(build_info_path(plan).read_text())["profile"] == {"min": 1, "opt": 8, "max": 64}


def test_profile_and_precision_are_configurable(fakes, tiny_onnx, tmp_path):
    plan = tmp_path / "model.plan"
    info = build_plan(tiny_onnx, plan, TrtOptions(min_batch=2, opt_batch=4, max_batch=16, fp16=False))
    spec = load_spec(tiny_onnx)
    assert plan_blob(plan)["profiles"][0][spec.input_name] == [
        [2, *spec.input_shape],
        [4, *spec.input_shape],
        [16, *spec.input_shape],
    ]
    assert plan_blob(plan)["fp16"] is False
    assert info.precision == "fp32" and "--no-fp16" in info.rebuild_command


@pytest.mark.parametrize("batches", [(0, 8, 64), (8, 4, 64), (1, 80, 64)])
def test_bad_profile_is_refused(fakes, tiny_onnx, tmp_path, batches):
    lo, opt, hi = batches
    with pytest.raises(InputError, match="Batch sizes"):
        build_plan(tiny_onnx, tmp_path / "m.plan", TrtOptions(min_batch=lo, opt_batch=opt, max_batch=hi))


def test_timing_cache_is_reused_across_builds(fakes, tiny_onnx, tmp_path):
    trt, _cudart, _gpu = fakes
    build_plan(tiny_onnx, tmp_path / "a.plan", TrtOptions())
    cache = tmp_path / TIMING_CACHE_NAME
    assert cache.is_file()
    assert trt.fake_builds[-1]["cache_misses"] > 0 and trt.fake_builds[-1]["cache_hits"] == 0

    build_plan(tiny_onnx, tmp_path / "b.plan", TrtOptions())

    assert trt.fake_builds[-1]["cache_hits"] > 0 and trt.fake_builds[-1]["cache_misses"] == 0


def test_explicit_timing_cache_path_and_corrupt_cache(fakes, tiny_onnx, tmp_path):
    cache = tmp_path / "caches" / "shared.cache"
    cache.parent.mkdir()
    cache.write_bytes(b"not a timing cache")
    build_plan(tiny_onnx, tmp_path / "a.plan", TrtOptions(timing_cache=cache))
    # the corrupt cache was replaced by a usable one; the build went on
    assert cache.read_bytes().startswith(b"FAKETC1")


def test_timing_cache_from_another_gpu_is_replaced(monkeypatch, tiny_onnx, tmp_path, caplog):
    # GIVEN a timing cache written by a build on another GPU model
    install_gpu_fakes(monkeypatch, gpu=FakeGpu(name="NVIDIA L4", major=8, minor=9))
    build_plan(tiny_onnx, tmp_path / "l4.plan", TrtOptions())
    trt, _cudart = install_gpu_fakes(monkeypatch)

    # WHEN building here THEN TensorRT refuses the cache, the build starts a fresh one and succeeds
    with caplog.at_level("WARNING"):
        build_plan(tiny_onnx, tmp_path / "a4000.plan", TrtOptions())
    assert "does not fit this TensorRT/GPU" in caplog.text
    assert trt.fake_builds[-1]["cache_misses"] > 0
    assert b"RTX A4000" in (tmp_path / TIMING_CACHE_NAME).read_bytes()


def test_parser_errors_are_reported_node_by_node(fakes, tmp_path):
    onnx_path = write_model_with_ops(tmp_path, {"entry": "Det", "to_steps": "Bernoulli"})

    with pytest.raises(ModelMismatchError) as err:
        build_plan(onnx_path, tmp_path / "m.plan", TrtOptions())

    msg = err.value.user_message
    assert "2 error(s)" in msg
    assert "node 0 (Det 'entry'): No importer registered for op: Det [UNSUPPORTED_NODE]" in msg
    assert "node 3 (Bernoulli 'to_steps')" in msg
    assert err.value.exit_code == 5
    assert not (tmp_path / "m.plan").exists()


def test_dynamic_squeeze_is_refused_before_tensorrt_is_touched(monkeypatch, tmp_path):
    # GIVEN the field's failure (Squeeze without axes) and no TensorRT at all
    monkeypatch.setitem(sys.modules, "tensorrt", None)
    path = tmp_path / "squeeze.onnx"
    onnx.save(make_axesless_squeeze_model(), str(path))

    # WHEN building THEN the ONNX check refuses it, naming the Squeeze
    with pytest.raises(ModelMismatchError, match="dynamic Squeeze") as err:
        build_plan(path, tmp_path / "squeeze.plan", TrtOptions())
    assert "notelasso-engine check" in (err.value.hint or "")
    assert not (tmp_path / "squeeze.plan").exists()


def test_unreadable_onnx_is_refused(fakes, tmp_path):
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"\x00garbage")
    with pytest.raises(ModelMismatchError, match="not a readable ONNX"):
        build_plan(path, tmp_path / "broken.plan", TrtOptions())


def test_no_gpu_is_backend_unavailable(monkeypatch, tiny_onnx, tmp_path):
    install_gpu_fakes(monkeypatch, gpu=FakeGpu(count=0))
    with pytest.raises(BackendUnavailableError) as err:
        build_plan(tiny_onnx, tmp_path / "m.plan", TrtOptions())
    assert err.value.exit_code == 4 and "nvidia-smi" in (err.value.hint or "")


def test_int8_calibrates_on_synthetic_crops_and_frees_its_buffers(fakes, tiny_onnx, tmp_path):
    trt, _cudart, gpu = fakes
    plan = tmp_path / "int8.plan"

    info = build_plan(tiny_onnx, plan, TrtOptions(int8=True, calib_count=64, calib_batch=32))

    assert info.precision == "int8+fp16" and plan_blob(plan)["int8"] is True
    assert trt.fake_builds[-1]["calibration_batches"] == 2
    assert (tmp_path / "int8.plan.calib").is_file()  # the calibration cache, reused by a rebuild
    assert gpu.live_allocations() == 0
    assert "--int8" in info.rebuild_command and "--calib-batch 32" in info.rebuild_command
    # a rebuild reads the calibration cache instead of calibrating again
    build_plan(tiny_onnx, plan, TrtOptions(int8=True, calib_count=64, calib_batch=32))
    assert trt.fake_builds[-1]["calibration_batches"] == 0


def test_synthetic_crops_are_normalised_float32():
    spec = ModelSpec()
    crops = synthetic_crops(spec, 6, seed=1)
    assert crops.shape == (6, *spec.input_shape) and crops.dtype.name == "float32"
    assert abs(crops).max() <= 1.0 + 1e-6 and crops.std() > 0
    assert (synthetic_crops(spec, 6, seed=1) == crops).all()


def test_build_module_imports_neither_torch_nor_training_nor_tensorrt():
    code = (
        "import sys\n"
        "import build_engine.tensorrt_build as t, build_engine.cli\n"
        "from inference.spec import ModelSpec\n"
        "t.synthetic_crops(ModelSpec(), 2)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'training', 'tensorrt', 'cuda')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


def test_missing_onnx_package_is_backend_unavailable(monkeypatch, tiny_onnx, tmp_path):
    monkeypatch.delitem(sys.modules, "build_engine.onnx_check")
    monkeypatch.setitem(sys.modules, "onnx", None)  # a build machine where onnx went missing
    with pytest.raises(BackendUnavailableError) as err:
        build_plan(tiny_onnx, tmp_path / "m.plan", TrtOptions())
    assert err.value.exit_code == 4 and "onnx" in err.value.user_message
    assert err.value.hint == "pip install 'notelasso[tensorrt]'"


# --- CLI -------------------------------------------------------------------------------------------


def test_cli_without_tensorrt_exits_4_with_the_install_hint(monkeypatch, tiny_onnx, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "tensorrt", None)  # `import tensorrt` raises ImportError

    code = cli.main(["trt", str(tiny_onnx), "-o", str(tmp_path / "m.plan")])

    err = capsys.readouterr().err
    assert code == 4
    assert "TensorRT is not installed" in err and "pip install 'notelasso[tensorrt]'" in err
    assert "Traceback" not in err


def test_cli_builds_with_options(fakes, tiny_onnx, tmp_path, capsys):
    plan = tmp_path / "out" / "model.plan"
    code = cli.main(
        [
            "trt",
            str(tiny_onnx),
            "-o",
            str(plan),
            "--min-batch",
            "1",
            "--opt-batch",
            "4",
            "--max-batch",
            "32",
            "--no-fp16",
            "--timing-cache",
            str(tmp_path / "tc.cache"),
        ]
    )
    assert code == 0
    assert f"wrote {plan}" in capsys.readouterr().out
    info = BuildInfo.read(plan)
    assert (info.opt_batch, info.max_batch, info.precision) == (4, 32, "fp32")
    assert (tmp_path / "tc.cache").is_file()


def test_cli_default_output_is_beside_the_onnx(fakes, tiny_onnx, tmp_path):
    from tests.fakes.tiny_models import write_tiny_model

    onnx_path = write_tiny_model(tmp_path / "m")
    assert cli.main(["trt", str(onnx_path)]) == 0
    assert onnx_path.with_suffix(".plan").is_file()


@pytest.mark.parametrize(("argv_tail", "expected"), [(["--min-batch", "9", "--opt-batch", "8"], 2), ([], 5)])
def test_cli_exit_codes(fakes, tmp_path, capsys, argv_tail, expected):
    path = tmp_path / "squeeze.onnx"
    onnx.save(make_axesless_squeeze_model(), str(path))
    if expected == 2:  # a bad option is refused before the model is even read
        from tests.fakes.tiny_models import write_tiny_model

        path = write_tiny_model(tmp_path / "ok")
    code = cli.main(["trt", str(path), "-o", str(tmp_path / "x.plan"), *argv_tail])
    assert code == expected
    assert "error:" in capsys.readouterr().err


# --- real TensorRT -------------------------------------------------------------------------------


@pytest.mark.gpu
def test_real_tensorrt_builds_the_tiny_model(real_tensorrt, tiny_onnx, tmp_path):
    plan = tmp_path / "model.plan"
    info = build_plan(tiny_onnx, plan, TrtOptions(max_batch=16, opt_batch=4))
    assert plan.stat().st_size > 0 and info.max_batch == 16
    assert (tmp_path / TIMING_CACHE_NAME).is_file()
