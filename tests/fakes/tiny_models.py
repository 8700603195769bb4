"""Tiny hand-made ONNX models with a ModelSpec sidecar, built without torch.

``images`` (N, 3, 32, 128) -> ReduceMean over H, W -> (N, 3) -> MatMul (3, 26*95) ->
Reshape -> ``logits`` (N, 26, 95): a deterministic function of the input, so a back end's
output can be compared with ONNX Runtime on the CPU.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from inference.spec import METADATA_KEY, ModelSpec, sidecar_path


def write_tiny_model(
    folder: Path,
    *,
    name: str = "model",
    spec: ModelSpec | None = None,
    extra_op: str | None = None,
    batch: int | str = "N",
    has_metadata: bool = True,
    sidecar: ModelSpec | None = None,
) -> Path:
    """Write ``<folder>/<name>.onnx`` and its ``.spec.json``; return the ONNX path.

    ``extra_op`` appends an identity-like node of that op type in a custom domain (something a
    parser cannot import); ``batch`` fixes the batch dimension when an int. The spec is written
    into the ONNX metadata as build_engine writes it, unless ``has_metadata`` is False (a model
    that is not a NoteLasso PARSeq export); ``sidecar`` writes a different spec beside it.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    spec = spec or ModelSpec()
    c, h, w = spec.input_shape
    steps, classes = spec.output_shape
    weight = np.random.default_rng(0).standard_normal((c, steps * classes)).astype(np.float32)
    nodes = [
        helper.make_node("ReduceMean", ["images_in"], ["pooled"], axes=[2, 3], keepdims=0, name="pool"),
        helper.make_node("MatMul", ["pooled", "weight"], ["flat"], name="head"),
        helper.make_node("Reshape", ["flat", "shape"], [spec.output_name], name="to_steps"),
    ]
    first_input = spec.input_name
    if extra_op:
        nodes.insert(
            0, helper.make_node(extra_op, [spec.input_name], ["images_in"], name="custom", domain="com.example")
        )
    else:
        nodes.insert(0, helper.make_node("Identity", [first_input], ["images_in"], name="entry"))
    graph = helper.make_graph(
        nodes,
        "tiny_parseq",
        [helper.make_tensor_value_info(spec.input_name, TensorProto.FLOAT, [batch, c, h, w])],
        [helper.make_tensor_value_info(spec.output_name, TensorProto.FLOAT, [batch, steps, classes])],
        initializer=[
            numpy_helper.from_array(weight, "weight"),
            numpy_helper.from_array(np.array([-1, steps, classes], np.int64), "shape"),
        ],
    )
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid("com.example", 1)] if extra_op else [])
    model = helper.make_model(graph, opset_imports=opsets, producer_name="notelasso-tests")
    model.ir_version = 8
    if has_metadata:
        helper.set_model_props(model, {METADATA_KEY: spec.to_json()})
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.onnx"
    onnx.save(model, str(path))
    sidecar_path(path).write_text((sidecar or spec).to_json(), encoding="utf-8")
    return path
