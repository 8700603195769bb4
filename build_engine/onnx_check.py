"""Static checks on an exported ONNX graph: what TensorRT needs, and the fix for Squeeze.

The failure seen in the field: PARSeq's reference decoder calls ``squeeze()`` without an
axis, which exports as a Squeeze whose axes are unknown until run time; TensorRT cannot
build a dynamic-batch engine from it. :func:`make_squeezes_static` rewrites every
Squeeze/Unsqueeze to take its axes as a constant initializer; :func:`check_onnx` refuses
any graph where that is not so, and other constructs known to block TensorRT.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MIN_OPSET = 13  # Squeeze/Unsqueeze take axes as an input from opset 13 on
SEQUENCE_OPS = {
    "SequenceConstruct",
    "SequenceAt",
    "SequenceInsert",
    "SequenceErase",
    "SequenceEmpty",
    "SequenceLength",
    "SplitToSequence",
    "ConcatFromSequence",
    "SequenceMap",
}
UNSUPPORTED_OPS = {
    "Loop": "data-dependent loop (unroll the decoding loop before export)",
    "If": "data-dependent branch",
    "Scan": "scan loop",
    "Unique": "Unique has a data-dependent output shape",
    "StringNormalizer": "string tensors",
    "TfIdfVectorizer": "string tensors",
    "RandomNormal": "random ops are not deterministic in an engine",
    "RandomUniform": "random ops are not deterministic in an engine",
    "RandomNormalLike": "random ops are not deterministic in an engine",
    "RandomUniformLike": "random ops are not deterministic in an engine",
}
BAD_DTYPES = {
    TensorProto.STRING: "string",
    TensorProto.DOUBLE: "float64",
    TensorProto.COMPLEX64: "complex64",
    TensorProto.COMPLEX128: "complex128",
}


@dataclass
class CheckReport:
    path: str
    opset: int
    inputs: list[tuple[str, list[int | str], str]]
    outputs: list[tuple[str, list[int | str], str]]
    node_counts: Counter
    problems: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        lines = [f"model:   {self.path}", f"opset:   {self.opset}"]
        for kind, items in (("input", self.inputs), ("output", self.outputs)):
            for name, shape, dtype in items:
                dims = ", ".join(str(d) for d in shape)
                lines.append(f"{kind}:   {name} [{dims}] {dtype}")
        total = sum(self.node_counts.values())
        top = ", ".join(f"{op} {n}" for op, n in self.node_counts.most_common())
        lines.append(f"nodes:   {total} ({top})")
        squeezes = self.node_counts.get("Squeeze", 0) + self.node_counts.get("Unsqueeze", 0)
        lines.append(
            f"squeeze: {squeezes} Squeeze/Unsqueeze nodes, "
            + ("all with constant axes" if not any("Squeeze" in p for p in self.problems) else "SOME DYNAMIC")
        )
        if "notelasso.spec" in self.metadata:
            lines.append("spec:    NoteLasso ModelSpec present in metadata")
        if self.problems:
            lines.append(f"RESULT:  FAIL, {len(self.problems)} problem(s) that block TensorRT:")
            lines.extend(f"  - {p}" for p in self.problems)
        else:
            lines.append("RESULT:  OK (no construct known to block TensorRT)")
        return "\n".join(lines)


def _dims(value_info: onnx.ValueInfoProto) -> list[int | str]:
    shape = value_info.type.tensor_type.shape
    return [d.dim_param or (d.dim_value if d.HasField("dim_value") else "?") for d in shape.dim]


def _dtype(value_info: onnx.ValueInfoProto) -> str:
    return TensorProto.DataType.Name(value_info.type.tensor_type.elem_type).lower()


def _default_opset(model: onnx.ModelProto) -> int:
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            return imp.version
    return 0


def _constant_names(graph: onnx.GraphProto) -> set[str]:
    names = {init.name for init in graph.initializer}
    names.update(out for node in graph.node if node.op_type == "Constant" for out in node.output)
    return names


def check_model(model: onnx.ModelProto, path: str = "<memory>") -> CheckReport:
    graph = model.graph
    opset = _default_opset(model)
    init_names = {i.name for i in graph.initializer}
    report = CheckReport(
        path=path,
        opset=opset,
        inputs=[(i.name, _dims(i), _dtype(i)) for i in graph.input if i.name not in init_names],
        outputs=[(o.name, _dims(o), _dtype(o)) for o in graph.output],
        node_counts=Counter(n.op_type for n in graph.node),
        metadata={p.key: p.value for p in model.metadata_props},
    )
    problems = report.problems
    if opset < MIN_OPSET:
        problems.append(f"opset {opset} < {MIN_OPSET}: re-export with opset >= 17")
    constants = _constant_names(graph)
    for idx, node in enumerate(graph.node):
        where = f"node {idx} '{node.name or node.op_type}'"
        if node.op_type in ("Squeeze", "Unsqueeze"):
            if opset >= MIN_OPSET:
                if len(node.input) < 2 or not node.input[1]:
                    problems.append(
                        f"{where}: {node.op_type} without axes (dynamic Squeeze); "
                        "run make_squeezes_static or export with an explicit axis"
                    )
                elif node.input[1] not in constants:
                    problems.append(
                        f"{where}: {node.op_type} axes come from a computed tensor "
                        f"'{node.input[1]}' (dynamic Squeeze); give them as a constant"
                    )
            elif not any(a.name == "axes" for a in node.attribute):
                problems.append(f"{where}: {node.op_type} without axes (dynamic Squeeze)")
        if node.domain not in ("", "ai.onnx"):
            problems.append(f"{where}: custom-domain op {node.domain}::{node.op_type} (runtime-specific fusion?)")
        if node.op_type in SEQUENCE_OPS:
            problems.append(f"{where}: sequence op {node.op_type} is not supported by TensorRT")
        elif node.op_type in UNSUPPORTED_OPS:
            problems.append(f"{where}: {node.op_type}: {UNSUPPORTED_OPS[node.op_type]}")
    for init in graph.initializer:
        if init.data_type in BAD_DTYPES:
            problems.append(
                f"initializer '{init.name}' is {BAD_DTYPES[init.data_type]}, which TensorRT does not support"
            )
    for name, dims, dtype in report.inputs:
        dynamic = [i for i, d in enumerate(dims) if not isinstance(d, int) or d <= 0]
        if dynamic and dynamic != [0]:
            problems.append(f"input '{name}' has dynamic axes {dynamic}; only the batch axis (0) may be dynamic")
        if dtype in ("string", "double"):
            problems.append(f"input '{name}' is {dtype}")
    return report


def check_onnx(path: str | Path) -> CheckReport:
    path = Path(path)
    model = onnx.load(str(path), load_external_data=False)
    return check_model(model, str(path))


def make_squeezes_static(model: onnx.ModelProto) -> int:
    """Give every Squeeze/Unsqueeze its axes as a constant initializer. Returns the number fixed.

    Axes computed by Constant nodes become initializers; an axes-less Squeeze gets the axes
    that shape inference proves to be 1. A symbolic dimension (the dynamic batch) is taken as
    "not squeezed": that is what the graph means for batch > 1, and it stops a batch of one
    from being squeezed away. A Squeeze whose input rank is unknown is left for
    :func:`check_model` to report.
    """
    graph = model.graph
    if _default_opset(model) < MIN_OPSET:
        return 0
    const_values = {n.output[0]: n for n in graph.node if n.op_type == "Constant"}
    inits = {i.name for i in graph.initializer}
    inferred = onnx.shape_inference.infer_shapes(model)
    shapes = {vi.name: _dims(vi) for vi in list(inferred.graph.value_info) + list(inferred.graph.input)}
    fixed = 0
    for idx, node in enumerate(graph.node):
        if node.op_type not in ("Squeeze", "Unsqueeze"):
            continue
        axes_name = node.input[1] if len(node.input) > 1 else ""
        if axes_name in inits:
            continue
        if axes_name in const_values:
            value = numpy_helper.to_array(const_values[axes_name].attribute[0].t)
            axes = [int(a) for a in value.reshape(-1)]
        elif not axes_name and node.op_type == "Squeeze":
            dims = shapes.get(node.input[0])
            if dims is None:
                continue  # rank unknown: leave it for the check to report
            axes = [i for i, d in enumerate(dims) if isinstance(d, int) and d == 1]
            if not axes:
                continue
        else:
            continue
        name = f"{node.name or node.op_type}_{idx}_axes_const"
        graph.initializer.append(numpy_helper.from_array(np.asarray(axes, dtype=np.int64), name))
        if len(node.input) > 1:
            node.input[1] = name
        else:
            node.input.append(name)
        fixed += 1
    return fixed


def make_axesless_squeeze_model(dynamic_batch: bool = True) -> onnx.ModelProto:
    """A minimal graph with the field's failure: Squeeze with no axes (for tests and demos)."""
    batch = "batch" if dynamic_batch else 1
    x = helper.make_tensor_value_info("images", TensorProto.FLOAT, [batch, 1, 4])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, None)
    node = helper.make_node("Squeeze", ["images"], ["logits"], name="squeeze_no_axes")
    graph = helper.make_graph([node], "axesless_squeeze", [x], [y])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
