"""Where a second, independent reader disagrees with the first: word alignment on word sequences.

The first reading (PARSeq's, or the reviewer's text) and the second reader's words are aligned
by edit distance over words, a substitution costing the words' normalised character distance,
so a misread word pairs with its other reading rather than with its neighbour. Runs of words
that differ become :class:`Disagreement` items: the first reading's words (character span in
the text) and the second reader's words for them, one item a word, except that a word the second
reader saw nothing for joins the differing word before it, and a word only the second reader has
joins the word before it (or after it, at the start).

No Qt here; the triage score and the shell both consume :func:`disagreements`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from desktop.core.checks.drugs import edit_distance

__all__ = ["Disagreement", "align_words", "disagreement_at", "disagreements", "take_other", "words_with_spans"]

_WORD = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Disagreement:
    """First-reading words ``first`` (``start``..``end`` in the text, word indices
    ``first_words``) that the second reader read as ``other`` ("" when it saw nothing there)."""

    start: int
    end: int
    first: str
    other: str
    first_words: tuple[int, ...]


def words_with_spans(text: str) -> list[tuple[str, int, int]]:
    """Whitespace-separated words of ``text`` with their character spans."""
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def _normal(word: str) -> str:
    """Compatibility forms folded (a full-width colon is a colon); case and punctuation kept."""
    return unicodedata.normalize("NFKC", word)


def _substitution(a: str, b: str) -> float:
    if a == b:
        return 0.0
    longest = max(len(a), len(b))
    return 0.4 + 0.6 * edit_distance(a, b, limit=longest) / longest  # always under a delete + insert


def align_words(first: Sequence[str], second: Sequence[str]) -> list[tuple[int | None, int | None]]:
    """Edit-distance alignment of two word sequences: pairs ``(i, j)``, ``(i, None)`` for a word
    only the first has, ``(None, j)`` for one only the second has, in reading order."""
    a = [_normal(w) for w in first]
    b = [_normal(w) for w in second]
    n, m = len(a), len(b)
    cost = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        cost[i][0] = float(i)
    for j in range(1, m + 1):
        cost[0][j] = float(j)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(
                cost[i - 1][j - 1] + _substitution(a[i - 1], b[j - 1]),
                cost[i - 1][j] + 1.0,
                cost[i][j - 1] + 1.0,
            )
    pairs: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and cost[i][j] == cost[i - 1][j - 1] + _substitution(a[i - 1], b[j - 1]):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i > 0 and cost[i][j] == cost[i - 1][j] + 1.0:
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    pairs.reverse()
    return pairs


def disagreements(text: str, second_words: Sequence[str]) -> list[Disagreement]:
    """Every run of ``text``'s words the second reader read otherwise, in reading order.

    An empty second reading disagrees with nothing (the reader saw no text: no evidence)."""
    words = words_with_spans(text)
    second = [w for w in second_words if w.strip()]
    if not words or not second:
        return []
    first = [w for w, _s, _e in words]
    assigned: list[list[str]] = [[] for _ in first]  # the second reader's words for each first word
    last_i: int | None = None
    for i, j in align_words(first, second):
        if i is not None:
            last_i = i
        if j is not None:
            assigned[i if i is not None else (last_i if last_i is not None else 0)].append(second[j])
    out: list[Disagreement] = []
    run: list[int] = []
    for i in range(len(first) + 1):
        agrees = i == len(first) or [_normal(w) for w in assigned[i]] == [_normal(first[i])]
        if not agrees and (not run or not assigned[i]):  # a word read as nothing joins the one before
            run.append(i)
            continue
        if run:
            start, end = words[run[0]][1], words[run[-1]][2]
            other = " ".join(w for k in run for w in assigned[k])
            out.append(Disagreement(start, end, text[start:end], other, tuple(run)))
            run = [] if agrees else [i]
    return out


def disagreement_at(items: Sequence[Disagreement], position: int) -> Disagreement | None:
    """The disagreement whose words hold the caret at ``position`` (its end included)."""
    return next((d for d in items if d.start <= position <= d.end), None)


def take_other(text: str, item: Disagreement) -> tuple[str, int]:
    """``text`` with ``item``'s words replaced by the other reading, and the caret after it."""
    new = text[: item.start] + item.other + text[item.end :]
    return new, item.start + len(item.other)
