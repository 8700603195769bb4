"""Where the bundled model lives."""

from __future__ import annotations

from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
MODELS_DIR = RESOURCES / "models"
DEFAULT_MODEL_NAME = "notelasso-parseq.onnx"
NO_MODEL_MESSAGE = (
    "No recognition model is bundled in resources/models/. Train one with `notelasso-train` "
    "and export it with `notelasso-engine export`, or pass --model PATH to an exported .onnx file."
)


def default_model_path() -> Path | None:
    path = MODELS_DIR / DEFAULT_MODEL_NAME
    return path if path.is_file() else None
