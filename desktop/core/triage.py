"""One triage score per word: how likely the reading of that word is wrong.

The score is a small logistic model over what is known about each word (:func:`word_features`):
the model's character confidences (lowest, on a log scale, and mean), the word's shape, length
and kind (digits, letters and digits, punctuation, unknown to the word lists) and, when a second
reader ran, whether it read the word the same way, differently, or not at all. Its weights were
fitted on generated data only (generated words and clinical notes, ``notelasso-train eval
--triage --fit``; never on FUNSD, which is for validation) and are constants here, one set for
each case: :data:`WEIGHTS` without a second reader, :data:`WEIGHTS_SECOND` with one. The bias of
each set is moved so that :data:`DEFAULT_THRESHOLD` flags about 30 % of the words of generated
notes: the score is the fitted probability of a misreading, re-centred on that operating point.

A word a clinical check (:mod:`desktop.core.checks`) flags scores 1, whatever the rest says: its
reason is the reviewer's to read. A word is flagged when its score reaches the reviewer's
threshold (setting ``review/triage_threshold``). Measured by ``notelasso-train eval --triage``
(decision 025).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from desktop.core.checks import Flag, flags_by_word, run_checks, tokens
from desktop.core.checks.drugs import edit_distance

__all__ = [
    "DEFAULT_THRESHOLD",
    "FEATURES",
    "FEATURES_SECOND",
    "WEIGHTS",
    "WEIGHTS_SECOND",
    "TriageWord",
    "WordReading",
    "align_second_reading",
    "flagged",
    "line_doubt",
    "odd_shape",
    "same_word",
    "triage_words",
    "word_features",
    "word_score",
]

#: Flag a word whose score reaches this: about 30 % of the words on generated notes (decision 025).
DEFAULT_THRESHOLD = 0.5

#: What the score looks at, each about 0..1 (:func:`word_features`); the second reader's last.
FEATURES = (
    "low confidence",  # 1 - the lowest character confidence
    "low confidence, log",  # the same on a log scale: 1e-4 -> 0, 1 -> 1
    "mean doubt",  # mean of 1 - confidence over the characters
    "doubtful characters",  # share of characters under 0.9
    "odd shape",
    "length",  # characters / 10, at most 2
    "short",  # 1-2 characters
    "digits",  # holds a digit
    "letters and digits",
    "punctuation",  # holds a character that is neither letter nor digit
    "unknown word",  # 3+ letters no word list knows
    "punctuation share",  # characters neither letter nor digit / length
    "line doubt",  # mean "low confidence, log" of the line's words: a hard line misleads every word
)
FEATURES_SECOND = (
    *FEATURES,
    "second reader disagrees",
    "second reader read nothing",
    "second reading's distance",  # edit distance / length, when it disagrees
    "disagrees x low confidence, log",
    "second reading differs in case only",
    "second reading differs in edge punctuation only",  # "cover." for "cover"
    "second reading is several words",
)

# Fitted by `notelasso-train eval --triage --fit` on generated words and notes (decision 025);
# the last number is the bias.
WEIGHTS: tuple[float, ...] = (
    3.6326,  # low confidence
    3.6711,  # low confidence, log
    0.5609,  # mean doubt
    1.7682,  # doubtful characters
    0.2108,  # odd shape
    -0.2246,  # length
    -0.1493,  # short
    -0.0372,  # digits
    0.3935,  # letters and digits
    1.4358,  # punctuation
    4.1066,  # unknown word
    -0.3635,  # punctuation share
    -0.3053,  # line doubt
    -4.4211,  # bias
)
WEIGHTS_SECOND: tuple[float, ...] = (
    2.9987,  # low confidence
    1.9810,  # low confidence, log
    0.7787,  # mean doubt
    1.4089,  # doubtful characters
    0.1553,  # odd shape
    -0.0145,  # length
    -0.1230,  # short
    -0.3663,  # digits
    0.0516,  # letters and digits
    1.2149,  # punctuation
    3.1502,  # unknown word
    -0.9497,  # punctuation share
    -1.1135,  # line doubt
    2.2224,  # second reader disagrees
    2.3145,  # second reader read nothing
    0.1290,  # second reading's distance
    2.2284,  # disagrees x low confidence, log
    2.6109,  # second reading differs in case only
    3.2586,  # second reading differs in edge punctuation only
    -1.1366,  # second reading is several words
    -3.3019,  # bias
)


@dataclass(frozen=True, slots=True)
class WordReading:
    """One word as the recogniser read it.

    ``confidences``: one probability per character. ``second_reading``: what the second reader
    read at this word ("" when it read nothing there), or None when no second reader ran."""

    text: str
    confidences: tuple[float, ...]
    second_reading: str | None = None


@dataclass(frozen=True, slots=True)
class TriageWord:
    index: int
    text: str
    score: float
    risks: dict[str, float]  # signal -> its part, for the reasons: confidence, checks, shape, second
    flags: tuple[Flag, ...] = ()
    second_reading: str | None = None

    @property
    def reasons(self) -> list[str]:
        """What a reviewer reads beside the word, the strongest signal first."""
        out = [f.reason for f in self.flags]
        if self.risks.get("second", 0.0) >= 1.0 and self.second_reading:
            out.append(f"A second reader read '{self.second_reading}'.")
        if self.risks.get("shape", 0.0) >= 1.0:
            out.append(f"'{self.text}' changes case or mixes letters and digits inside the word.")
        if self.risks.get("unknown", 0.0) >= 1.0:
            out.append(f"'{self.text}' is in no word list.")
        if self.risks.get("confidence", 0.0) > 0.0:
            out.append(f"Read with {1 - self.risks['confidence']:.0%} confidence.")
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


def _unknown(word: str, is_known: Callable[[str], bool] | None) -> bool:
    core = word.strip(_EDGES)
    return is_known is not None and len(core) >= 3 and core.isalpha() and not is_known(core)


def _low_log(confidences: Sequence[float]) -> float:
    return math.log10(max(1.0 - min(confidences, default=1.0), 1e-4)) / 4 + 1


def word_features(
    word: WordReading, is_known: Callable[[str], bool] | None = None, line_doubt: float | None = None
) -> list[float]:
    """The features :func:`word_score` weighs (:data:`FEATURES`, and :data:`FEATURES_SECOND`
    when ``word.second_reading`` is not None). ``is_known``: the word lists' judgement
    (:meth:`desktop.core.lexicon.Lexicon.is_known`); None counts every word as known.
    ``line_doubt``: :func:`line_doubt` of the word's line (default: the word alone)."""
    conf = word.confidences or (1.0,)
    low = 1.0 - min(conf)
    low_log = _low_log(conf)
    text = word.text
    core = text.strip(_EDGES) or text
    has_digit = any(c.isdigit() for c in core)
    has_alpha = any(c.isalpha() for c in core)
    out = [
        low,
        low_log,
        sum(1.0 - c for c in conf) / len(conf),
        sum(c < 0.9 for c in conf) / len(conf),
        1.0 if odd_shape(text) else 0.0,
        min(len(text), 20) / 10,
        1.0 if len(core) <= 2 else 0.0,
        1.0 if has_digit else 0.0,
        1.0 if has_digit and has_alpha else 0.0,
        1.0 if any(not c.isalnum() for c in text) else 0.0,
        1.0 if _unknown(text, is_known) else 0.0,
        sum(not c.isalnum() for c in text) / max(1, len(text)),
        low_log if line_doubt is None else line_doubt,
    ]
    if word.second_reading is not None:
        other = word.second_reading
        nothing = not other.strip()
        differs = not nothing and not same_word(other, text)
        a, b = _comparable(text), _comparable(other)
        distance = edit_distance(a, b) / max(1, len(a), len(b)) if differs else 0.0
        same = not nothing and not differs
        case_only = same and other != text and other.lower() == text.lower()
        punct_only = same and other.lower() != text.lower()
        out += [
            1.0 if differs else 0.0,
            1.0 if nothing else 0.0,
            distance,
            low_log if differs else 0.0,
            1.0 if case_only else 0.0,
            1.0 if punct_only else 0.0,
            1.0 if len(other.split()) > 1 else 0.0,
        ]
    return out


def line_doubt(words: Sequence[WordReading]) -> float:
    """The mean "low confidence, log" of a line's words (0 for none)."""
    return sum(_low_log(w.confidences) for w in words) / len(words) if words else 0.0


def word_score(features: Sequence[float], weights: Sequence[float]) -> float:
    """The logistic score of ``features`` under ``weights`` (bias last), in (0, 1)."""
    z = sum(w * x for w, x in zip(weights, features)) + weights[-1]
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def triage_words(
    text: str,
    words: Sequence[WordReading],
    *,
    document_years: Sequence[int] = (),
    checks: Sequence[Flag] | None = None,
    is_known: Callable[[str], bool] | None = None,
    weights: tuple[Sequence[float], Sequence[float]] | None = None,
) -> list[TriageWord]:
    """A :class:`TriageWord` for each word of ``text`` (whitespace-separated, as
    :func:`desktop.core.checks.tokens` counts them); ``words`` are the same words with their
    confidences (and second readings). ``checks``: the clinical flags when already computed;
    ``is_known``: the word lists (see :func:`word_features`); ``weights``: (without, with a
    second reader), default the fitted :data:`WEIGHTS` and :data:`WEIGHTS_SECOND`."""
    toks = tokens(text)
    if len(toks) != len(words):
        raise ValueError("one WordReading per whitespace-separated word of the text")
    found = run_checks(text, document_years=document_years) if checks is None else list(checks)
    by_word = flags_by_word(text, found)
    alone, second = weights or (WEIGHTS, WEIGHTS_SECOND)
    doubt = line_doubt(words)
    out = []
    for tok, word in zip(toks, words):
        x = word_features(word, is_known, doubt)
        has_second = word.second_reading is not None
        checked = tok.index in by_word
        risks = {
            "confidence": x[0],
            "checks": 1.0 if checked else 0.0,
            "shape": x[4],
            "unknown": x[10],
            "model": word_score(x, second if has_second else alone),
        }
        if has_second:
            risks["second"] = x[len(FEATURES)]
        score = 1.0 if checked else risks["model"]
        out.append(
            TriageWord(tok.index, tok.text, score, risks, tuple(by_word.get(tok.index, ())), word.second_reading)
        )
    return out


def flagged(words: Sequence[TriageWord], threshold: float = DEFAULT_THRESHOLD) -> list[TriageWord]:
    """The words a reviewer should look at, in reading order."""
    return [w for w in words if w.score >= threshold]
