"""One triage score per word: how likely the reading of that word is wrong.

The score combines what is known about each word, each signal giving a risk in [0, 1]:

- **confidence**: 1 - the lowest (calibrated) character confidence of the word;
- **checks**: 1 when a clinical check (:mod:`desktop.core.checks`) flags the word;
- **second reading**: 1 when an independent second recogniser read the word differently
  (:func:`align_second_reading` turns its text into one reading per word), 0 when it agrees,
  and then the confidence risk counts only :data:`AGREEMENT_DISCOUNT` of itself;
- **shape**: a word whose letters change case inside it ("coMMUNITY") or mixes letters and
  digits outside known patterns reads like a misreading.

The word's score is the largest risk; a word is flagged when its score reaches the reviewer's
threshold (setting ``review/triage_threshold``). Taking the largest keeps each signal's meaning:
a word a check flags is always flagged, whatever the model's confidence. Measured by
``notelasso-train eval --triage`` (decision 021).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from desktop.core.checks import Flag, flags_by_word, run_checks, tokens
from desktop.core.checks.drugs import edit_distance

__all__ = [
    "AGREEMENT_DISCOUNT",
    "DEFAULT_THRESHOLD",
    "TriageWord",
    "WordReading",
    "align_second_reading",
    "flagged",
    "odd_shape",
    "same_word",
    "triage_words",
]

#: Two independent readers agreeing make a low-confidence reading likelier right: the
#: confidence risk of a word the second reader read the same way counts this much.
AGREEMENT_DISCOUNT = 0.5
#: Flag a word whose score reaches this (i.e. lowest calibrated confidence under 1 - this):
#: about a third of the words on FUNSD and on generated notes (decision 021).
DEFAULT_THRESHOLD = 0.15


@dataclass(frozen=True, slots=True)
class WordReading:
    """One word as the recogniser read it.

    ``confidences``: one (calibrated) probability per character. ``second_reading``: what the
    second reader read at this word ("" when it read nothing there), or None when no second
    reader ran."""

    text: str
    confidences: tuple[float, ...]
    second_reading: str | None = None


@dataclass(frozen=True, slots=True)
class TriageWord:
    index: int
    text: str
    score: float
    risks: dict[str, float]  # signal -> risk in [0, 1]
    flags: tuple[Flag, ...] = ()
    second_reading: str | None = None

    @property
    def reasons(self) -> list[str]:
        """What a reviewer reads beside the word, the strongest signal first."""
        out = [f.reason for f in self.flags]
        if self.risks.get("second", 0.0) >= 1.0 and self.second_reading is not None:
            out.append(f"A second reader read '{self.second_reading}'.")
        if self.risks.get("confidence", 0.0) > 0.0:
            out.append(f"Read with {1 - self.risks['confidence']:.0%} confidence.")
        if self.risks.get("shape", 0.0) >= 1.0:
            out.append(f"'{self.text}' changes case or mixes letters and digits inside the word.")
        return out


_KNOWN_SHAPES = re.compile(
    r"(?:[A-Z][a-z]+|[a-z]+|[A-Z]+|\d+(?:[.,:/\-]\d+)*%?)"  # word, lower, UPPER, number
    r"|(?:Mc|Mac|O'|De|La|Di)[A-Z][a-z]+"  # McDonald, O'Brien
    r"|[A-Z][a-z]*[A-Z0-9][A-Za-z0-9]*"  # SpO2, HbA1c, PhD, DoB
    r"|[a-z]?\d+(?:st|nd|rd|th|[a-z]{1,3})"  # 1st, 2nd, q4h-like, 10am, 5mg
    r"|[a-z]\d+[a-z]?|[A-Z]{1,4}\d+[A-Z]*|\d+[A-Z]{1,3}"  # q4h, B12, CO2, 3M
)
_EDGES = "()[]{},;:.!?\"'-#*$&/"


def odd_shape(word: str) -> bool:
    """A word whose shape a misreading leaves: case changing inside the word ("coMMUNITY"),
    letters among digits ("2O25"). Punctuation around the word is ignored."""
    core = word.strip(_EDGES)
    if not core or not any(c.isalnum() for c in core):
        return False
    return not all(_KNOWN_SHAPES.fullmatch(part) for part in re.split(r"[\-/.,:']+", core) if part)


def align_second_reading(words: Sequence[str], second_text: str) -> list[str]:
    """What the second reader read at each of ``words`` (the first reader's words in order):
    the two word sequences aligned by edit distance; a word the second reader missed gets "",
    and words it merged or split get the joined words it read there."""
    other = second_text.split()
    a, b = [_comparable(w) for w in words], [_comparable(w) for w in other]
    n, m = len(a), len(b)

    def sub(i: int, j: int) -> float:  # 0 for the same word, up to 1 for nothing alike
        return edit_distance(a[i], b[j]) / max(1, len(a[i]), len(b[j]))

    cost = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        cost[i][0] = float(i)
    for j in range(m + 1):
        cost[0][j] = float(j)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(cost[i - 1][j] + 1, cost[i][j - 1] + 1, cost[i - 1][j - 1] + sub(i - 1, j - 1))
    out: list[list[str]] = [[] for _ in range(n)]
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and abs(cost[i][j] - (cost[i - 1][j - 1] + sub(i - 1, j - 1))) < 1e-9:
            out[i - 1].insert(0, other[j - 1])
            i, j = i - 1, j - 1
        elif j > 0 and (i == 0 or abs(cost[i][j] - (cost[i][j - 1] + 1)) < 1e-9):
            if i > 0:
                out[i - 1].insert(0, other[j - 1])  # an extra word of the second reader: beside word i
            j -= 1
        else:
            i -= 1
    return [" ".join(ws) for ws in out]


def same_word(a: str, b: str) -> bool:
    """Two readings a reviewer would judge the same word: case and edge punctuation aside."""
    return _comparable(a) == _comparable(b)


def _comparable(word: str) -> str:
    """Words compared as a reviewer would judge them equal: case and edge punctuation aside."""
    return word.strip(_EDGES).lower()


def triage_words(
    text: str,
    words: Sequence[WordReading],
    *,
    document_years: Sequence[int] = (),
    checks: Sequence[Flag] | None = None,
) -> list[TriageWord]:
    """A :class:`TriageWord` for each word of ``text`` (whitespace-separated, as
    :func:`desktop.core.checks.tokens` counts them); ``words`` are the same words with their
    confidences (and second readings). ``checks``: the clinical flags when already computed."""
    toks = tokens(text)
    if len(toks) != len(words):
        raise ValueError("one WordReading per whitespace-separated word of the text")
    found = run_checks(text, document_years=document_years) if checks is None else list(checks)
    by_word = flags_by_word(text, found)
    out = []
    for tok, word in zip(toks, words):
        risks = {
            "confidence": 1.0 - min(word.confidences, default=1.0),
            "checks": 1.0 if tok.index in by_word else 0.0,
            "shape": 1.0 if odd_shape(tok.text) else 0.0,
        }
        if word.second_reading is not None:
            agrees = same_word(word.second_reading, tok.text)
            risks["second"] = 0.0 if agrees else 1.0
            if agrees:
                risks["confidence"] *= AGREEMENT_DISCOUNT
        out.append(
            TriageWord(
                tok.index,
                tok.text,
                max(risks.values()),
                risks,
                tuple(by_word.get(tok.index, ())),
                word.second_reading,
            )
        )
    return out


def flagged(words: Sequence[TriageWord], threshold: float = DEFAULT_THRESHOLD) -> list[TriageWord]:
    """The words a reviewer should look at, in reading order."""
    return [w for w in words if w.score >= threshold]
