"""ONNX export: static Squeeze, spec in metadata and sidecar, TensorRT-blocker check, parity."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch (the 'train' extra) is needed for export tests")
onnx = pytest.importorskip("onnx")

from build_engine.cli import main as engine_main
from build_engine.onnx_check import check_model, check_onnx, make_axesless_squeeze_model, make_squeezes_static
from build_engine.parseq import load_checkpoint
from inference.backends.onnxruntime_cpu import OnnxRuntimeBackend
from inference.decoding import decode_logits
from inference.spec import METADATA_KEY, ModelSpec, load_spec, sidecar_path


def test_export_is_tensorrt_ready(micro_onnx) -> None:
    model = onnx.load(str(micro_onnx))
    report = check_model(model)
    assert report.ok, report.summary()
    # Every Squeeze/Unsqueeze takes its axes as a constant input tensor.
    consts = {i.name for i in model.graph.initializer}
    consts |= {o for n in model.graph.node if n.op_type == "Constant" for o in n.output}
    for node in model.graph.node:
        if node.op_type in ("Squeeze", "Unsqueeze"):
            assert len(node.input) == 2 and node.input[1] in consts, node.name
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 17
    # Dynamic batch in, static (26, 95) logits out, named as the spec says.
    spec = load_spec(micro_onnx)
    inp, out = model.graph.input[0], model.graph.output[0]
    assert inp.name == spec.input_name and out.name == spec.output_name
    assert inp.type.tensor_type.shape.dim[0].dim_param
    assert [d.dim_value for d in out.type.tensor_type.shape.dim[1:]] == [26, 95]


def test_spec_written_to_metadata_and_sidecar(micro_onnx) -> None:
    side = ModelSpec.from_json(sidecar_path(micro_onnx).read_text())
    meta = {p.key: p.value for p in onnx.load(str(micro_onnx)).metadata_props}
    assert ModelSpec.from_json(meta[METADATA_KEY]) == side
    assert (side.name, side.input_height, side.input_width, len(side.charset), side.max_label_length) == (
        "micro-test",
        32,
        128,
        94,
        25,
    )


@pytest.mark.parametrize("batch", [1, 7, 32])
def test_onnxruntime_matches_pytorch(micro_checkpoint, micro_onnx, batch: int) -> None:
    model, _cfg, _ = load_checkpoint(str(micro_checkpoint))
    rng = np.random.default_rng(batch)
    x = rng.uniform(-1, 1, (batch, 3, 32, 128)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    backend = OnnxRuntimeBackend(micro_onnx, threads=1)
    got = backend.infer(x)
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)
    spec = backend.spec
    assert [d.text for d in decode_logits(got, spec)] == [d.text for d in decode_logits(expected, spec)]


def test_check_rejects_axesless_squeeze(tmp_path, capsys) -> None:
    bad = tmp_path / "axesless.onnx"
    onnx.save(make_axesless_squeeze_model(), str(bad))
    report = check_onnx(bad)
    assert not report.ok
    assert any("Squeeze" in p for p in report.problems)
    assert engine_main(["check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "Squeeze" in out and "opset" in out.lower()


def test_static_squeeze_pass_repairs_axesless_model() -> None:
    model = make_axesless_squeeze_model()
    assert make_squeezes_static(model) >= 1
    assert check_model(model).ok


def test_cli_random_export_check_roundtrip(tmp_path, capsys) -> None:
    ckpt, out = tmp_path / "r.pt", tmp_path / "r.onnx"
    assert engine_main(["random", "--preset", "parseq-micro", "-o", str(ckpt)]) == 0
    assert engine_main(["export", str(ckpt), "-o", str(out), "--name", "rt", "--version", "9"]) == 0
    assert json.loads(sidecar_path(out).read_text())["version"] == "9"
    assert "RESULT:  OK" in capsys.readouterr().out


def test_cli_check_on_missing_and_garbage_files(tmp_path, capsys) -> None:
    assert engine_main(["check", str(tmp_path / "nope.onnx")]) != 0
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00not an onnx file" * 10)
    assert engine_main(["check", str(junk)]) != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "junk.onnx" in err
