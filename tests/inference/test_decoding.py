"""Logits -> text with per-character confidences."""

from __future__ import annotations

import numpy as np
import pytest

from inference.decoding import decode_logits
from inference.errors import ModelMismatchError
from inference.spec import ModelSpec


def _logits(spec: ModelSpec, texts: list[str], peak: float = 8.0) -> np.ndarray:
    out = np.zeros((len(texts), spec.num_steps, spec.num_classes), np.float32)
    for i, text in enumerate(texts):
        ids = [spec.charset.index(c) + 1 for c in text] + [spec.eos_id]
        for t, k in enumerate(ids):
            out[i, t, k] = peak
        out[i, len(ids) :, 5] = peak  # garbage after EOS must be ignored
    return out


def test_decodes_until_eos_with_confidences() -> None:
    spec = ModelSpec()
    logits = _logits(spec, ["BP", "128/82", "q8h", ""])
    logits[1, 2, spec.charset.index("8") + 1] = 2.0  # the '8' is doubtful
    decoded = decode_logits(logits, spec)
    assert [d.text for d in decoded] == ["BP", "128/82", "q8h", ""]
    assert len(decoded[1].confidences) == 6
    assert decoded[1].confidences[2] < 0.5 < min(decoded[1].confidences[:2] + decoded[1].confidences[3:])
    assert decoded[3].confidences == ()


def test_no_eos_reads_all_steps() -> None:
    spec = ModelSpec()
    logits = np.zeros((1, spec.num_steps, spec.num_classes), np.float32)
    logits[0, :, spec.charset.index("x") + 1] = 5
    assert decode_logits(logits, spec)[0].text == "x" * spec.num_steps


def test_wrong_shape_is_a_model_mismatch() -> None:
    with pytest.raises(ModelMismatchError, match="26, 95"):
        decode_logits(np.zeros((1, 10, 95), np.float32), ModelSpec())


def test_runner_up_characters_are_kept_most_likely_first_without_eos() -> None:
    # GIVEN logits where the 'V' of "Vestern" had 'W' as a close second and EOS a distant third
    spec = ModelSpec()
    logits = _logits(spec, ["Vestern"])
    logits[0, 0, spec.charset.index("W") + 1] = 7.5
    logits[0, 0, spec.eos_id] = 6.0
    # WHEN decoded
    (decoded,) = decode_logits(logits, spec)
    # THEN each character has its runner-ups, most likely first, and EOS is never one of them
    assert decoded.text == "Vestern" and len(decoded.alternatives) == 7
    first = decoded.alternatives[0]
    assert first[0][0] == "W" and 0.3 < first[0][1] < decoded.confidences[0]
    assert all(c != "" for c, _ in first) and [p for _, p in first] == sorted((p for _, p in first), reverse=True)
    assert len(first) == 2  # the EOS runner-up is left out
