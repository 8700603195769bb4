"""ModelSpec: the contract that travels with every model artefact.

build_engine writes it into the ONNX metadata (key ``notelasso.spec``) and a JSON
sidecar (``<model>.spec.json``); every back end reads it from there and restates
no constant of its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from inference.errors import ModelMismatchError

__all__ = [
    "METADATA_KEY",
    "PARSEQ_CHARSET",
    "SPEC_FORMAT",
    "ModelSpec",
    "load_spec",
    "read_onnx_metadata",
    "sidecar_path",
    "spec_differences",
]

#: The 94 printable ASCII characters of the official PARSeq charset, in its order.
PARSEQ_CHARSET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
METADATA_KEY = "notelasso.spec"
SPEC_FORMAT = 1


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """Everything a back end and the pre/post-processing need to know about a model."""

    name: str = "parseq"
    version: str = "0"
    input_height: int = 32
    input_width: int = 128
    channels: int = 3
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)
    charset: str = PARSEQ_CHARSET
    max_label_length: int = 25
    input_name: str = "images"
    output_name: str = "logits"
    dtype: str = "float32"
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    # Token layout of the official tokenizer: [E] + charset + [B] + [P];
    # the head predicts [E] + charset.
    @property
    def eos_id(self) -> int:
        return 0

    @property
    def num_classes(self) -> int:
        """Width of the logits' last axis."""
        return len(self.charset) + 1

    @property
    def num_steps(self) -> int:
        """Length of the logits' time axis (max label length + EOS)."""
        return self.max_label_length + 1

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (self.channels, self.input_height, self.input_width)

    @property
    def output_shape(self) -> tuple[int, int]:
        return (self.num_steps, self.num_classes)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["mean"] = list(self.mean)
        data["std"] = list(self.std)
        data["format"] = SPEC_FORMAT
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        known = set(cls.__dataclass_fields__)
        kwargs = {k: v for k, v in data.items() if k in known}
        try:
            if "mean" in kwargs:
                kwargs["mean"] = tuple(float(v) for v in kwargs["mean"])
            if "std" in kwargs:
                kwargs["std"] = tuple(float(v) for v in kwargs["std"])
            spec = cls(**kwargs)
        except (TypeError, ValueError) as exc:
            raise ModelMismatchError("The model specification is malformed.") from exc
        spec.validate()
        return spec

    @classmethod
    def from_json(cls, text: str) -> ModelSpec:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelMismatchError("The model specification is not valid JSON.") from exc
        if not isinstance(data, dict):
            raise ModelMismatchError("The model specification is not a JSON object.")
        return cls.from_dict(data)

    def validate(self) -> None:
        problems = []
        if self.input_height <= 0 or self.input_width <= 0:
            problems.append("input size must be positive")
        if self.channels not in (1, 3):
            problems.append("channels must be 1 or 3")
        if len(self.mean) != 3 or len(self.std) != 3 or any(s <= 0 for s in self.std):
            problems.append("mean/std must have 3 values and std > 0")
        if not self.charset or len(set(self.charset)) != len(self.charset):
            problems.append("charset must be non-empty without duplicates")
        if self.max_label_length <= 0:
            problems.append("max_label_length must be positive")
        if problems:
            raise ModelMismatchError("The model specification is invalid: " + "; ".join(problems) + ".")

    def check_output_shape(self, shape: tuple[int, ...], *, where: str) -> None:
        """Raise ModelMismatchError unless ``shape`` is (batch, steps, classes) for this spec."""
        if len(shape) != 3 or tuple(shape[1:]) != self.output_shape:
            raise ModelMismatchError(
                f"{where} returns logits of shape {tuple(shape)}, "
                f"but the model spec expects (batch, {self.num_steps}, {self.num_classes})."
            )


def sidecar_path(model_path: Path) -> Path:
    """``model.onnx`` -> ``model.spec.json`` (also for ``.plan`` files)."""
    return model_path.with_suffix(".spec.json")


def spec_differences(a: ModelSpec, b: ModelSpec) -> list[str]:
    """Names of the fields (``extra`` included) on which two specs differ, sorted."""
    da, db = a.to_dict(), b.to_dict()
    return sorted(k for k in da.keys() | db.keys() if da.get(k) != db.get(k))


def load_spec(model_path: Path, *, metadata: Mapping[str, str] | None = None) -> ModelSpec:
    """The spec of the model at ``model_path``; raises ModelMismatchError when there is none or two disagree.

    An ONNX file must carry its spec in its metadata (build_engine writes it; a model without it is
    not a NoteLasso PARSeq export and is refused). Its ``.spec.json`` sidecar, when present, must
    agree with it field by field. ``metadata``: the ONNX custom metadata, when the caller has already
    loaded the model (so it is not read twice). Other artefacts (a TensorRT plan), and an ONNX path
    whose file is absent, take the sidecar alone.
    """
    side = sidecar_path(model_path)
    beside = _read_sidecar(side) if side.is_file() else None
    if model_path.suffix == ".onnx" and (metadata is not None or model_path.is_file()):
        text = (read_onnx_metadata(model_path) if metadata is None else metadata).get(METADATA_KEY)
        if not text:
            raise ModelMismatchError(
                f"{model_path.name} has no NoteLasso model specification in its metadata, so it is not a "
                "NoteLasso PARSeq export; export it with `notelasso-engine export`."
            )
        inside = ModelSpec.from_json(text)
        if beside is not None and (fields := spec_differences(inside, beside)):
            raise ModelMismatchError(
                f"{side.name} disagrees with the specification inside {model_path.name} "
                f"(on {', '.join(fields)}); export the model again, or delete the sidecar."
            )
        return inside
    if beside is not None:
        return beside
    raise ModelMismatchError(
        f"No model specification found for {model_path.name}: expected {side.name} beside it "
        "or NoteLasso metadata inside the ONNX file."
    )


def _read_sidecar(side: Path) -> ModelSpec:
    try:
        text = side.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelMismatchError(f"{side.name} cannot be read.") from exc
    return ModelSpec.from_json(text)


def read_onnx_metadata(model_path: Path) -> dict[str, str]:
    """Read ONNX custom metadata: with the ``onnx`` package where installed (it reads graphs ONNX
    Runtime cannot run, e.g. for a TensorRT build), else through onnxruntime (the runtime dependency)."""
    import importlib.util

    if importlib.util.find_spec("onnx") is not None:
        import onnx

        try:
            proto = onnx.load(str(model_path), load_external_data=False)
        except Exception as exc:  # DecodeError, OSError, ...: onnx has no common base class
            raise ModelMismatchError(f"{model_path.name} is not a loadable ONNX model.") from exc
        return {prop.key: prop.value for prop in proto.metadata_props}
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.log_severity_level = 3  # errors only: graph clean-up notes are not the user's business
    try:
        sess = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
        raise ModelMismatchError(f"{model_path.name} is not a loadable ONNX model.") from exc
    return dict(sess.get_modelmeta().custom_metadata_map)
