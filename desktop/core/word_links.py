"""A region's words linked to its text: which characters of the text each of the recogniser's word
boxes holds, and how sure the model was of each word. No Qt.

The recogniser gives one box per word it read (``Region.words``, page pixels). The text a reviewer
edits starts as those words joined by spaces and line breaks; once corrected, its words are matched
back to the boxes in order, so a word the reviewer changed still lights its box, and a word they
added has none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from desktop.core.regions import Region
from inference.geometry import Box

__all__ = ["PageWord", "page_words", "word_at", "word_spans"]

Span = tuple[int, int]  # [start, end) in a text

_TOKEN = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class PageWord:
    """One word box of a region: its index in ``Region.words``, the model's text for it, its box in
    page pixels, and the model's confidence in it (its least sure character; None when unknown)."""

    index: int
    text: str
    box: Box
    confidence: float | None


def _tokens(text: str) -> list[Span]:
    return [m.span() for m in _TOKEN.finditer(text)]


def word_spans(region: Region, text: str) -> list[Span | None]:
    """For each of ``region.words``, the span of ``text`` that holds it (None: no word of the text does).

    Words are matched in order: unchanged words to themselves, and a run of changed words to a run
    of as many words of the text (a correction keeps its box)."""
    spans = _tokens(text)
    out: list[Span | None] = [None] * len(region.words)
    model = [w for w, _ in region.words]
    typed = [text[a:b] for a, b in spans]
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, model, typed, autojunk=False).get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            for k in range(i2 - i1):
                out[i1 + k] = spans[j1 + k]
    return out


def page_words(region: Region) -> list[PageWord]:
    """The region's word boxes with the model's confidence in each."""
    spans = word_spans(region, region.model_text)
    words = []
    for i, ((text, box), span) in enumerate(zip(region.words, spans)):
        confs = region.confidences[span[0] : span[1]] if span is not None else ()
        words.append(PageWord(i, text, box, min(confs) if confs else None))
    return words


def word_at(spans: list[Span | None], position: int) -> int | None:
    """The index of the word whose span holds ``position`` (a caret just after a word counts)."""
    for i, span in enumerate(spans):
        if span is not None and span[0] <= position <= span[1]:
            return i
    return None
