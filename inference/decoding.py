"""Logits -> text with per-character confidences (greedy, as PARSeq decodes)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inference.spec import ModelSpec

#: Characters kept per position besides the one read: what a vocabulary may choose instead
#: (inference/vocabulary.py).
ALTERNATIVES = 3


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    confidences: tuple[float, ...]  # one per character of ``text``
    #: per character of ``text``: the model's next most likely characters there with their
    #: probabilities, most likely first (empty when not known)
    alternatives: tuple[tuple[tuple[str, float], ...], ...] = ()

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
    # The runners-up at each step, most likely first (the first of the top k + 1 is the one read).
    k = min(ALTERNATIVES + 1, probs.shape[-1])
    top = np.argpartition(-probs, k - 1, axis=-1)[..., :k]
    top_p = np.take_along_axis(probs, top, -1)
    order = np.argsort(-top_p, axis=-1)
    top, top_p = np.take_along_axis(top, order, -1), np.take_along_axis(top_p, order, -1)
    charset = spec.charset
    out = []
    for row_ids, row_p, row_top, row_top_p in zip(ids, best, top, top_p):
        eos = np.flatnonzero(row_ids == spec.eos_id)
        end = int(eos[0]) if eos.size else len(row_ids)
        chars = "".join(charset[i - 1] for i in row_ids[:end])
        alternatives = tuple(
            tuple(
                (charset[int(c) - 1], float(p))
                for c, p in zip(row_top[j, 1:], row_top_p[j, 1:])
                if 0 < int(c) <= len(charset)  # characters only: not EOS or padding
            )
            for j in range(end)
        )
        out.append(Decoded(chars, tuple(float(p) for p in row_p[:end]), alternatives))
    return out
