"""PyTorch PARSeq -> ONNX with static Squeeze, NoteLasso metadata and a spec sidecar."""

from __future__ import annotations

import logging
import warnings
from dataclasses import replace
from pathlib import Path

import onnx
import torch

from build_engine.onnx_check import check_model, make_squeezes_static
from build_engine.parseq import PARSeq, ParseqConfig
from inference.errors import ModelMismatchError
from inference.spec import METADATA_KEY, ModelSpec, sidecar_path

log = logging.getLogger(__name__)
DEFAULT_OPSET = 17
CONFIG_KEY = "notelasso.config"  # ONNX metadata: the ParseqConfig the graph was exported from


def export_onnx(
    model: PARSeq,
    out_path: Path,
    *,
    name: str,
    version: str,
    opset: int = DEFAULT_OPSET,
    refine_iters: int | None = None,
) -> ModelSpec:
    """Export ``model`` (logits only, dynamic batch) and write ``<out>.spec.json`` beside it.

    Raises ModelMismatchError if the resulting graph fails :func:`check_model`.
    """
    if opset < 17:
        raise ValueError("opset must be >= 17")
    cfg: ParseqConfig = model.cfg
    if refine_iters is not None and refine_iters != cfg.refine_iters:
        model.cfg = cfg = replace(cfg, refine_iters=refine_iters)
    spec = cfg.spec(name=name, version=version)
    model = model.eval()
    dummy = torch.zeros(2, 3, spec.input_height, spec.input_width)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_suffix(".tmp.onnx")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (dummy,),
            str(tmp),
            input_names=[spec.input_name],
            output_names=[spec.output_name],
            dynamic_axes={spec.input_name: {0: "batch"}, spec.output_name: {0: "batch"}},
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False,
        )
    proto = onnx.load(str(tmp))
    tmp.unlink()
    _pin_output_shape(proto, spec)
    fixed = make_squeezes_static(proto)
    log.info("export: %d Squeeze/Unsqueeze nodes given constant axes", fixed)
    proto.producer_name = "notelasso-engine"
    proto.doc_string = f"PARSeq text recogniser {name} {version} (NoteLasso)"
    del proto.metadata_props[:]
    onnx.helper.set_model_props(proto, {METADATA_KEY: spec.to_json(), CONFIG_KEY: _config_json(cfg)})
    report = check_model(proto, str(out_path))
    if not report.ok:
        raise ModelMismatchError("The exported graph would not build in TensorRT:\n" + "\n".join(report.problems))
    onnx.save(proto, str(out_path))
    sidecar_path(out_path).write_text(spec.to_json() + "\n", encoding="utf-8")
    return spec


def _pin_output_shape(proto: onnx.ModelProto, spec: ModelSpec) -> None:
    """State the logits' static axes in the graph signature (the exporter leaves them symbolic)."""
    dims = proto.graph.output[0].type.tensor_type.shape.dim
    for dim, value in zip(dims[1:], spec.output_shape):
        dim.Clear()
        dim.dim_value = value


def _config_json(cfg: ParseqConfig) -> str:
    import json

    return json.dumps(cfg.to_dict(), sort_keys=True)


def export_fp16(src: Path, dst: Path) -> None:
    """Store weights as float16 (inputs and outputs stay float32); halves the file size."""
    from onnxruntime.transformers.float16 import convert_float_to_float16

    proto = onnx.load(str(src))
    half = convert_float_to_float16(proto, keep_io_types=True, disable_shape_infer=False)
    onnx.save(half, str(dst))
    sidecar_path(dst).write_text(sidecar_path(src).read_text(encoding="utf-8"), encoding="utf-8")


def quantize_int8(src: Path, dst: Path) -> None:
    """Dynamic int8 quantisation of the MatMul weights (CPU-friendly, ~4x smaller)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gemm"])
    sidecar_path(dst).write_text(sidecar_path(src).read_text(encoding="utf-8"), encoding="utf-8")
