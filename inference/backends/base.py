"""The one interface every recognition back end implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from inference.spec import ModelSpec

FloatArray = npt.NDArray[np.float32]


@runtime_checkable
class Backend(Protocol):
    """A loaded model that turns a normalised NCHW float32 batch into logits.

    ``infer`` takes (N, C, H, W) with N >= 1 of any size: back ends chunk to their own
    maximum batch. It returns float32 logits (N, spec.num_steps, spec.num_classes).
    """

    #: Short label for status bars and logs, e.g. "CPU (ONNX Runtime)".
    label: str
    #: True when pixels leave this machine (a remote server).
    is_remote: bool

    @property
    def spec(self) -> ModelSpec: ...

    def infer(self, batch: FloatArray) -> FloatArray: ...

    def close(self) -> None: ...


def check_batch(spec: ModelSpec, batch: FloatArray) -> FloatArray:
    """Validate a batch against the spec; return it as contiguous float32."""
    from inference.errors import InputError

    expected = spec.input_shape
    if batch.ndim != 4 or tuple(batch.shape[1:]) != expected or batch.shape[0] < 1:
        raise InputError(f"Batch of shape {tuple(batch.shape)} does not match the model input (N, {expected}).")
    return np.ascontiguousarray(batch, dtype=np.float32)


def chunks(n: int, size: int) -> list[slice]:
    """Slices covering range(n) in pieces of at most ``size``."""
    if size < 1:
        raise ValueError("chunk size must be >= 1")
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]
