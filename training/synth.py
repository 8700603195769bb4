"""One synthetic training sample, and the model-input conversion shared with inference."""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from training.corpus import TextSampler
    from training.render import WordRenderer

try:  # the lead's shared pre-processing, when present, is the single source of truth
    from inference.preprocess import resize_normalise as _resize_normalise
except ImportError:  # pragma: no cover - depends on the lead's module
    _resize_normalise = None  # type: ignore[assignment]


def make_sample(renderer: WordRenderer, sampler: TextSampler) -> tuple[npt.NDArray[np.uint8], str]:
    """A degraded word crop and its label."""
    text = sampler.sample()
    return renderer.render(text), text


def _local_resize_normalise(gray: npt.NDArray[np.uint8], height: int, width: int) -> npt.NDArray[np.float32]:
    h, w = gray.shape[:2]
    shrinking = h * w > height * width
    interp = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    resized = cv2.resize(gray, (width, height), interpolation=interp)
    x = (resized.astype(np.float32) / 255.0 - 0.5) / 0.5
    return np.ascontiguousarray(np.broadcast_to(x, (3, height, width)), dtype=np.float32)


def to_model_input(gray: npt.NDArray[np.uint8], height: int = 32, width: int = 128) -> npt.NDArray[np.float32]:
    """Grayscale crop -> float32 3xHxW in [-1, 1] (aspect ignored, as PARSeq was trained)."""
    if _resize_normalise is not None:
        from inference.spec import ModelSpec

        return _resize_normalise(gray, ModelSpec(input_height=height, input_width=width))
    return _local_resize_normalise(gray, height, width)
