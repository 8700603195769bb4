"""ModelSpec: the contract that travels with every model artefact.

build_engine writes it into the ONNX metadata (key ``notelasso.spec``) and a JSON
sidecar (``<model>.spec.json``); every back end reads it from there and restates
no constant of its own.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from inference.errors import ModelMismatchError

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


def load_spec(model_path: Path) -> ModelSpec:
    """Read the spec from the JSON sidecar, or from ONNX metadata if the sidecar is absent."""
    side = sidecar_path(model_path)
    if side.is_file():
        return ModelSpec.from_json(side.read_text(encoding="utf-8"))
    if model_path.suffix == ".onnx" and model_path.is_file():
        text = read_onnx_metadata(model_path).get(METADATA_KEY)
        if text:
            return ModelSpec.from_json(text)
    raise ModelMismatchError(
        f"No model specification found for {model_path.name}: expected {side.name} beside it "
        "or NoteLasso metadata inside the ONNX file."
    )


def read_onnx_metadata(model_path: Path) -> dict[str, str]:
    """Read ONNX custom metadata through onnxruntime (the runtime dependency)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        sess = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
        raise ModelMismatchError(f"{model_path.name} is not a loadable ONNX model.") from exc
    return dict(sess.get_modelmeta().custom_metadata_map)
