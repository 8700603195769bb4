"""A word the model nearly read as a known word is read as that word (vocabulary-aware decoding).

The model's greedy reading of a word crop sometimes misses one or two letters that it gave a
fair probability to: "Vestern" where "W" was its second choice, "Reaion" for "Region",
"Agenev" for "Agency". When a reading is not a known word (``Vocabulary.is_known``: the system
word lists, the medical list and the reviewer's own words, see desktop/core/lexicon.py) and
replacing at most two of its letters by the model's own runner-up letters there gives a known
word whose probability is at least ``MIN_RATIO`` of the reading's, that word is read instead.

This is the model's choice with a vocabulary, not a spelling correction: only letters the model
itself proposed are used, nothing is inserted or deleted, words with digits, short words and
known words are left alone, and a changed letter keeps the model's probability for it as its
confidence, so the word stays marked as doubtful for the reviewer. See docs/decisions/024.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations
from typing import Protocol

from inference.decoding import Decoded

#: a candidate's probability (product over the changed letters) against the reading's
MIN_RATIO = 0.05
#: runner-up letters under this probability are not considered
MIN_ALTERNATIVE = 0.02
MAX_CHANGES = 2
MIN_LENGTH = 3  # letters in a word's core


class Vocabulary(Protocol):
    def is_known(self, word: str) -> bool: ...


def _core(text: str) -> tuple[int, int]:
    """Start and end of the word between its leading and trailing punctuation."""
    a, b = 0, len(text)
    while a < b and not text[a].isalnum():
        a += 1
    while b > a and not text[b - 1].isalnum():
        b -= 1
    return a, b


def _letter_options(decoded: Decoded, j: int) -> tuple[float, list[tuple[str, float]]]:
    """The probability of the letter read at ``j`` (both cases together) and the runner-up
    letters there (other letters, both cases together), most likely first."""
    read = decoded.text[j]
    p_read = decoded.confidences[j]
    others: dict[str, float] = {}
    for c, p in decoded.alternatives[j]:
        if c.lower() == read.lower():
            p_read += p
        elif c.isalpha():
            others[c.lower()] = others.get(c.lower(), 0.0) + p
    options = sorted(((c, p) for c, p in others.items() if p >= MIN_ALTERNATIVE), key=lambda cp: -cp[1])
    return p_read, options


def correct(decoded: Decoded, vocabulary: Vocabulary | None) -> Decoded:
    """``decoded``, or the known word the model nearly read (module docstring)."""
    if vocabulary is None or len(decoded.alternatives) != len(decoded.text):
        return decoded
    text = decoded.text
    a, b = _core(text)
    core = text[a:b]
    if len(core) < MIN_LENGTH or not core.isalpha() or vocabulary.is_known(core):
        return decoded
    options = {j: _letter_options(decoded, j) for j in range(a, b)}
    changeable = [j for j, (_p, alts) in options.items() if alts]
    best: tuple[float, dict[int, tuple[str, float]]] | None = None
    for n in range(1, MAX_CHANGES + 1):
        for positions in combinations(changeable, n):
            for choice in _choices(positions, options):
                ratio = 1.0
                for j, (_c, p) in choice.items():
                    ratio *= p / max(options[j][0], 1e-9)
                if ratio < MIN_RATIO or (best is not None and ratio <= best[0]):
                    continue
                word = "".join(_in_case(text[j], choice[j][0]) if j in choice else text[j] for j in range(a, b))
                if vocabulary.is_known(word):
                    best = (ratio, choice)
    if best is None:
        return decoded
    chars, confs = list(text), list(decoded.confidences)
    for j, (c, p) in best[1].items():
        chars[j], confs[j] = _in_case(text[j], c), p
    return Decoded("".join(chars), tuple(confs), decoded.alternatives)


def _choices(
    positions: tuple[int, ...], options: dict[int, tuple[float, list[tuple[str, float]]]]
) -> Iterator[dict[int, tuple[str, float]]]:
    """Every way of taking one runner-up letter at each of ``positions``."""
    if not positions:
        yield {}
        return
    first, rest = positions[0], positions[1:]
    for letter in options[first][1]:
        for tail in _choices(rest, options):
            yield {first: letter, **tail}


def _in_case(read: str, letter: str) -> str:
    return letter.upper() if read.isupper() else letter.lower()


# ---- words read together -----------------------------------------------------------------------
#: Short words a narrow gap most often loses its space after or before ("ofthe", "suspensionin").
GLUE_WORDS = frozenset({"of", "the", "to", "in", "on", "at", "and", "for", "or", "by"})
_GLUE_LONGEST_FIRST = tuple(sorted(GLUE_WORDS, key=lambda w: (-len(w), w)))
MIN_SPLIT_PART = 2  # letters in each part of a camel-case join ("DetroitEast")
MIN_GLUED_WORD = 4  # letters in the word a short word was glued to ("ofthe" is the exception: "the")


def split_merged(decoded: Decoded, vocabulary: Vocabulary | None) -> Decoded:
    """``decoded`` with a space put back where it reads as two known words run together and the
    join is plain to see: a lower-case letter followed by a capital ("DetroitEast",
    "DateSubmitted:"), or a lower-case word glued to one of :data:`GLUE_WORDS` ("ofthe",
    "ofimported", "suspensionin"). A known word, a word with digits or capitals elsewhere (names
    such as "McDonald" or "Inman" stay whole), or one that splits only into unknown parts, is
    left as read. Each word keeps its letters' confidences; the space gets the lower of its
    neighbours'. See docs/decisions/024."""
    if vocabulary is None:
        return decoded
    text = decoded.text
    a, b = _core(text)
    core = text[a:b]
    if len(core) < 5 or not core.isalpha() or vocabulary.is_known(core):
        return decoded
    k = _camel_join(core, vocabulary) or _glue_join(core, vocabulary)
    if k is None:
        return decoded
    at = a + k
    confs = decoded.confidences
    alts = decoded.alternatives
    return Decoded(
        f"{text[:at]} {text[at:]}",
        (*confs[:at], min(confs[at - 1], confs[at]), *confs[at:]),
        (*alts[:at], (), *alts[at:]) if len(alts) == len(text) else alts,
    )


def _camel_join(core: str, vocabulary: Vocabulary) -> int | None:
    joins = [k for k in range(1, len(core)) if core[k - 1].islower() and core[k].isupper()]
    if len(joins) != 1:
        return None
    k = joins[0]
    left, right = core[:k], core[k:]
    if min(len(left), len(right)) < MIN_SPLIT_PART or (not left[0].isupper() and not left.islower()):
        return None
    return k if vocabulary.is_known(left) and vocabulary.is_known(right) else None


def _glue_join(core: str, vocabulary: Vocabulary) -> int | None:
    """Where ``core`` (lower case) is a glue word before or after a known word, else None."""
    if not core.islower():
        return None
    for word in _GLUE_LONGEST_FIRST:
        splits = []
        if core.startswith(word):
            splits.append((len(word), core[len(word) :]))
        if core.endswith(word):
            splits.append((len(core) - len(word), core[: -len(word)]))
        for k, other in splits:
            if (len(other) >= MIN_GLUED_WORD or other == "the") and vocabulary.is_known(other):
                return k
    return None
