"""The triage score's weights, fitted on generated data only, and what the score flags.

``fit_weights`` fits the logistic score of :mod:`desktop.core.triage` (one set without a second
reader, one with) on generated words and generated clinical notes, never on FUNSD. The threshold
is picked on the generated notes so that the combined triage (a check flag, or the score
reaching it) flags at most :data:`TARGET_FLAGGED` of their words; the bias is then moved so that
this threshold is :data:`desktop.core.triage.DEFAULT_THRESHOLD`. ``constants`` prints the
weights as the lines to paste into ``desktop/core/triage.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from desktop.core.checks import flags_by_word, run_checks
from desktop.core.triage import (
    DEFAULT_THRESHOLD,
    FEATURES,
    FEATURES_SECOND,
    WordReading,
    line_doubt,
    word_features,
    word_score,
)
from training.triage_data import Line
from training.triage_signals import fit_logistic

#: The share of generated note words the combined triage may flag (issue 16: <= 30 %).
TARGET_FLAGGED = 0.29
#: The L2 penalty of the fit (features are about 0..1).
L2 = 1.0


@dataclass
class Word:
    """One word of a :class:`Line` with its features and what the checks say."""

    text: str
    features: list[float]
    checked: bool
    wrong: bool
    forgiven: bool
    planted: str | None
    second: str | None


def words_of(lines: Sequence[Line], *, second: bool, is_known: Callable[[str], bool] | None) -> list[Word]:
    """Every word of ``lines`` with its features (with the second reader's when ``second``) and
    the clinical checks run on its line, as the app runs them."""
    out = []
    for line in lines:
        text = " ".join(line.words)
        flags = flags_by_word(text, run_checks(text, document_years=line.years))
        readings = [
            WordReading(word, line.confidences[k], line.second[k] if second and line.second is not None else None)
            for k, word in enumerate(line.words)
        ]
        doubt = line_doubt(readings)
        for k, (word, reading) in enumerate(zip(line.words, readings)):
            other = reading.second_reading
            x = word_features(reading, is_known, doubt)
            forgiven = line.forgiven[k] if line.forgiven else False
            out.append(Word(word, x, k in flags, line.wrong[k], forgiven, line.planted.get(k), other))
    return out


def scores(words: Sequence[Word], weights: Sequence[float]) -> np.ndarray:
    """The combined triage score of each word: 1 for a check flag, else the logistic score."""
    return np.asarray([1.0 if w.checked else word_score(w.features, weights) for w in words])


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def fit_weights(fit_words: Sequence[Word], threshold_words: Sequence[Word], *, l2: float = L2) -> list[float]:
    """Logistic weights (bias last) fitted on ``fit_words`` (generated: words the checks flag
    left out, as the checks flag them anyway), the bias moved so that the default threshold
    flags at most :data:`TARGET_FLAGGED` of ``threshold_words`` (generated notes)."""
    kept = [w for w in fit_words if not w.checked]
    x = np.asarray([w.features for w in kept], dtype=float)
    y = np.asarray([w.wrong for w in kept], dtype=float)
    weights = fit_logistic(x, y, l2=l2)
    s = scores(threshold_words, list(weights))
    ranked = np.sort(s[s < 1.0])[::-1]  # check-flagged words are flagged whatever the threshold
    room = int(TARGET_FLAGGED * len(s)) - int((s >= 1.0).sum())
    t = 1.0 - 1e-09 if room <= 0 or not len(ranked) else float(np.nextafter(ranked[min(room, len(ranked) - 1)], 2.0))
    weights[-1] += _logit(DEFAULT_THRESHOLD) - _logit(min(max(t, 1e-9), 1 - 1e-9))
    return [float(v) for v in weights]


def constants(weights: Sequence[float], second_weights: Sequence[float]) -> str:
    """The two weight sets as the lines of ``desktop/core/triage.py`` to paste."""

    def block(name: str, names: Sequence[str], w: Sequence[float]) -> list[str]:
        rows = [f"    {v:.4f},  # {n}" for v, n in zip(w, [*names, "bias"])]
        return [f"{name}: tuple[float, ...] = (", *rows, ")"]

    return "\n".join(block("WEIGHTS", FEATURES, weights) + block("WEIGHTS_SECOND", FEATURES_SECOND, second_weights))
