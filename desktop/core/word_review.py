"""Word by word review, free of Qt: which words are doubtful, and where Ctrl+F8 goes next.

In the app a word is doubtful when its triage score reaches the triage threshold (``words``,
:mod:`desktop.core.triage`, decision 025). Without a triage, when one of its characters is below
the review threshold (the model was unsure of it) or when the lexicon does not know it
(:mod:`desktop.core.lexicon`). Regions a person
has reviewed (corrected or verified) are passed over like F8 passes them over, except the one being
edited: its live text is searched from the caret, so a reviewer can walk every word of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from desktop.core.lexicon import Token, tokens
from desktop.core.regions import Region, RegionStatus
from desktop.core.review import align_confidences, first_on_or_after, shown_text

__all__ = ["DoubtfulWords", "WordHit", "doubtful_words", "next_doubtful_word"]

#: The doubtful words of a region's text (the text as shown or being edited), in reading order.
DoubtfulWords = Callable[[Region, str], Sequence[Token]]


@dataclass(frozen=True, slots=True)
class WordHit:
    """A doubtful word: ``region_id``'s text ``[start:end]``."""

    region_id: str
    start: int
    end: int


def doubtful_words(
    text: str, confidences: Sequence[float], threshold: float, is_known: Callable[[str], bool]
) -> list[Token]:
    """The words of ``text`` with a character under ``threshold`` (``confidences`` aligned with
    ``text``, see :func:`~desktop.core.review.align_confidences`) or unknown by ``is_known``."""
    return [t for t in tokens(text) if any(c < threshold for c in confidences[t.start : t.end]) or not is_known(t.word)]


def _by_confidence(region: Region, text: str, threshold: float, is_known: Callable[[str], bool]) -> list[Token]:
    aligned = align_confidences(region.model_text, region.confidences, text)
    return doubtful_words(text, aligned, threshold, is_known)


def next_doubtful_word(
    order: Sequence[Region],
    current_id: str | None,
    caret: int,
    page: int,
    threshold: float,
    is_known: Callable[[str], bool],
    *,
    live_text: str | None = None,
    floor: float = 0.0,
    words: DoubtfulWords | None = None,
) -> WordHit | None:
    """Ctrl+F8: the first doubtful word ending after ``caret`` in the current region (the word the
    caret is in, not the one it ends), else in the regions after it in reading order (wrapping round
    the document, back to the current one's start). ``words``: which words are doubtful (the
    app's triage); default: a character under ``threshold`` or a word ``is_known`` does not know.

    ``live_text``: the current region's text as being edited (default: its saved text). With no
    current region the search starts at ``page``. Regions not read yet, reviewed ones (but the
    current) and unreadable ones (``floor``, see :func:`~desktop.core.review.is_unreadable`) are
    passed over. Returns None when no doubtful word is left.
    """

    def _words(region: Region, text: str) -> Sequence[Token]:
        if words is not None:
            return words(region, text)
        return _by_confidence(region, text, threshold, is_known)

    ids = [r.id for r in order]
    if current_id in ids:
        k = ids.index(current_id)
        current = order[k]
        text = live_text if live_text is not None else current.text
        after = [t for t in _words(current, text) if t.end > caret]  # the caret's word too
        if after:
            return WordHit(current.id, after[0].start, after[0].end)
        rest = [*order[k + 1 :], *order[:k]]
    else:
        current, start = None, first_on_or_after(order, page) % max(1, len(order))
        rest = [*order[start:], *order[:start]]
    for region in rest:
        if region.status != RegionStatus.READ:  # not read yet, failed, or a person's decision already
            continue
        found = _words(region, shown_text(region, floor))
        if found:
            return WordHit(region.id, found[0].start, found[0].end)
    if current is not None:
        text = live_text if live_text is not None else current.text
        before = [t for t in _words(current, text) if t.end <= caret]
        if before:
            return WordHit(current.id, before[0].start, before[0].end)
    return None
