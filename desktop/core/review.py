"""Review rules, free of Qt: which characters are doubtful, and where the keyboard goes next.

The shell asks these questions and shows the answers; the rules themselves are plain functions
over :class:`~desktop.core.regions.Region` values, so they are tested without a screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher
from functools import lru_cache

from desktop.core.regions import Region, RegionStatus

__all__ = [
    "UNREADABLE_BELOW",
    "align_confidences",
    "count_reviewed",
    "first_on_or_after",
    "has_doubtful",
    "is_editable",
    "is_reviewed",
    "is_unreadable",
    "is_unreadable_reading",
    "needs_review",
    "next_doubtful",
    "next_unreviewed",
    "selection_after_removal",
    "shown_text",
    "step",
    "typed_over_guess",
]

#: Statuses in which the text is the model's or a person's and can be edited.
_BUSY = frozenset({RegionStatus.PENDING, RegionStatus.RECOGNIZING})
_REVIEWED = frozenset({RegionStatus.CORRECTED, RegionStatus.VERIFIED})

#: Mean confidence (over the characters that are not spaces) below which a reading is junk, not text.
#: Measured with the bundled model on resources/samples/clinical-note.pdf, one lasso a line: its 15
#: printed lines read at a mean of 0.97-1.00 (lowest single characters down to 0.48, so the lowest
#: character alone cannot tell), the handwritten lines read as junk at 0.54-0.79, and the one it read
#: nearly right ("Pt reprts less fatige") at 0.94; the three handwritten lines in one lasso at 0.86.
UNREADABLE_BELOW = 0.9


def align_confidences(model_text: str, confidences: Sequence[float], text: str) -> list[float]:
    """Confidence per character of ``text``, carried over from the model's reading.

    Characters the user left in place keep the model's confidence; characters the user typed
    count as certain (1.0), so a mark disappears once the doubtful character is retyped.
    """
    if text == model_text:  # untouched: the model's own confidences
        return [float(c) for c in confidences[: len(text)]] + [1.0] * max(0, len(text) - len(confidences))
    out = [1.0] * len(text)
    if not model_text or not confidences:
        return out
    matcher = SequenceMatcher(None, model_text, text, autojunk=False)
    for block in matcher.get_matching_blocks():
        if block.size < 2 and len(text) > 1:
            continue  # a lone matching character in rewritten text is a coincidence, not the model's
        for k in range(block.size):
            i = block.a + k
            if i < len(confidences):
                out[block.b + k] = float(confidences[i])
    return out


@lru_cache(maxsize=4096)
def has_doubtful(model_text: str, confidences: tuple[float, ...], text: str, threshold: float) -> bool:
    """Whether ``text`` still holds a character the model doubted (cached: the region list asks often)."""
    return any(c < threshold for c in align_confidences(model_text, confidences, text))


def needs_review(region: Region, threshold: float) -> bool:
    """A region no person has corrected or verified whose text holds a character the model doubted.

    A correction is a person's decision on the text: the region's flag goes with it (the editor
    still marks any doubtful character left, for a second look)."""
    return region.status not in _REVIEWED and has_doubtful(
        region.model_text, tuple(region.confidences), region.text, threshold
    )


def is_unreadable_reading(model_text: str, confidences: Sequence[float], floor: float) -> bool:
    """Whether a reading is too unsure to be text: its characters (spaces and line breaks aside)
    average less confidence than ``floor``. An empty reading is not unreadable (nothing was read);
    ``floor`` 0 turns the rule off."""
    chars = [float(c) for ch, c in zip(model_text, confidences, strict=False) if not ch.isspace()]
    return bool(chars) and sum(chars) / len(chars) < floor


def is_unreadable(region: Region, floor: float) -> bool:
    """A region the model could not read and no person has typed yet ("unreadable — type it").

    Its text is still the model's reading (status READ, text untouched) and that reading is junk by
    :func:`is_unreadable_reading`. Typing its text (a correction) or verifying it ends the mark.
    """
    return (
        region.status == RegionStatus.READ
        and region.text == region.model_text
        and is_unreadable_reading(region.model_text, region.confidences, floor)
    )


def typed_over_guess(region: Region, floor: float) -> bool:
    """Whether a person typed the text of a region whose reading was a guess (unreadable by
    ``floor``): what they typed is theirs, so no character of it carries the guess's confidence
    (a run of letters it shares with the junk is a coincidence)."""
    return region.text != region.model_text and is_unreadable_reading(region.model_text, region.confidences, floor)


def shown_text(region: Region, floor: float) -> str:
    """The text a reviewer is shown and edits: the region's text, or "" for an unreadable one (its
    junk is not presented as a reading; the model's guess stays in ``model_text``, shown on request)."""
    return "" if is_unreadable(region, floor) else region.text


def is_reviewed(region: Region) -> bool:
    """Whether a person has corrected or verified the region (their decision on its text)."""
    return region.status in _REVIEWED


def is_editable(region: Region) -> bool:
    """Whether the region's text may be edited or verified now (not while it is being read)."""
    return region.status not in _BUSY


def count_reviewed(regions: Sequence[Region]) -> int:
    """How many of ``regions`` a person has corrected or verified."""
    return sum(r.status in _REVIEWED for r in regions)


def first_on_or_after(order: Sequence[Region], page: int) -> int:
    """Index of the first region on ``page`` or a later one (``len(order)`` if none)."""
    return next((k for k, r in enumerate(order) if r.page >= page), len(order))


def step(order: Sequence[Region], current_id: str | None, page: int, delta: int) -> Region | None:
    """Tab / Shift+Tab: the region ``delta`` places from the current one in reading order.

    With nothing selected, Tab goes to the first region on or after ``page`` and Shift+Tab to
    the last one on or before it. Returns None past either end of the document.
    """
    ids = [r.id for r in order]
    if current_id in ids:
        i = ids.index(current_id) + delta
    elif delta > 0:
        i = first_on_or_after(order, page)
    else:
        i = max((k for k, r in enumerate(order) if r.page <= page), default=-1)
    return order[i] if 0 <= i < len(order) else None


def next_doubtful(
    order: Sequence[Region], current_id: str | None, page: int, threshold: float, floor: float = 0.0
) -> Region | None:
    """F8: the next region after the current one (wrapping round the document) that needs review:
    one with doubtful characters, or one unreadable by ``floor`` (see :func:`is_unreadable`).

    With nothing selected the search starts at ``page``. Returns None when no region needs review.
    """
    ids = [r.id for r in order]
    start = ids.index(current_id) + 1 if current_id in ids else first_on_or_after(order, page) % max(1, len(order))
    for region in [*order[start:], *order[:start]]:
        if needs_review(region, threshold) or is_unreadable(region, floor):
            return region
    return None


def next_unreviewed(order: Sequence[Region], current_id: str | None, page: int) -> Region | None:
    """The next region after the current one (wrapping round the document) that no person has
    corrected or verified yet. With nothing selected the search starts at ``page``; None when every
    region is reviewed."""
    ids = [r.id for r in order]
    start = ids.index(current_id) + 1 if current_id in ids else first_on_or_after(order, page) % max(1, len(order))
    return next((r for r in [*order[start:], *order[:start]] if r.status not in _REVIEWED), None)


def selection_after_removal(ids: Sequence[str], removed: str) -> str | None:
    """Which region to select once ``removed`` is gone: the next on its page, else the previous."""
    if removed not in ids:
        return None
    i = ids.index(removed)
    if i + 1 < len(ids):
        return ids[i + 1]
    return ids[i - 1] if i > 0 else None
