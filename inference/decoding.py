"""Logits -> text with per-character confidences (greedy, as PARSeq decodes)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inference.spec import ModelSpec


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    confidences: tuple[float, ...]  # one per character of ``text``

    @property
    def confidence(self) -> float:
        """Sequence confidence: product of the character probabilities (and EOS)."""
        return float(np.prod(self.confidences)) if self.confidences else 0.0


def softmax(logits: npt.NDArray[np.float32], axis: int = -1) -> npt.NDArray[np.float32]:
    z: npt.NDArray[np.float32] = logits - logits.max(axis=axis, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=axis, keepdims=True)
    return z


def decode_logits(logits: npt.NDArray[np.float32], spec: ModelSpec) -> list[Decoded]:
    """Greedy decode a batch of logits (N, steps, classes); stop at the first EOS."""
    spec.check_output_shape(logits.shape, where="The back end")
    probs = softmax(np.asarray(logits, dtype=np.float32).copy())
    ids = probs.argmax(-1)
    best = np.take_along_axis(probs, ids[..., None], -1)[..., 0]
    charset = spec.charset
    out = []
    for row_ids, row_p in zip(ids, best):
        eos = np.flatnonzero(row_ids == spec.eos_id)
        end = int(eos[0]) if eos.size else len(row_ids)
        chars = "".join(charset[i - 1] for i in row_ids[:end])
        out.append(Decoded(chars, tuple(float(p) for p in row_p[:end])))
    return out
