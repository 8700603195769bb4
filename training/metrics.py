"""Word-level accuracy measures used for validation and evaluation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def edit_distance(a: Sequence, b: Sequence) -> int:
    """Levenshtein distance between two strings (characters) or two lists (e.g. of words)."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def alnum_lower(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


@dataclass(frozen=True, slots=True)
class WordScores:
    count: int
    exact: float
    alnum_ci: float
    cer: float

    def row(self) -> str:
        return f"exact {self.exact:.3f}  alnum-ci {self.alnum_ci:.3f}  CER {self.cer:.3f}  (n={self.count})"


def score_words(predictions: Sequence[str], truths: Sequence[str]) -> WordScores:
    if len(predictions) != len(truths):
        raise ValueError("predictions and truths differ in length")
    n = len(truths)
    if n == 0:
        return WordScores(0, 0.0, 0.0, 0.0)
    exact = sum(p == t for p, t in zip(predictions, truths))
    alnum = sum(alnum_lower(p) == alnum_lower(t) for p, t in zip(predictions, truths))
    errors = sum(edit_distance(p, t) for p, t in zip(predictions, truths))
    chars = sum(len(t) for t in truths)
    return WordScores(n, exact / n, alnum / n, errors / max(1, chars))
