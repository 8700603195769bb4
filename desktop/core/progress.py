"""How far a review has come, page by page: the counts the progress view shows. No Qt.

A region counts as reviewed once a person corrected or verified it; "doubtful left" are the regions
not reviewed whose text still holds a character the model doubted, and "unreadable" those the model
could not read at all (:mod:`desktop.core.review`). An unreadable region is counted there only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from desktop.core.regions import Region
from desktop.core.review import count_reviewed, is_unreadable, needs_review

Doubtful = Callable[[Region], bool]

__all__ = ["PageProgress", "document_progress", "page_progress"]


@dataclass(frozen=True, slots=True)
class PageProgress:
    """The counts of one page (``page`` 0-based), or of the whole document (``page`` None)."""

    page: int | None
    regions: int = 0
    reviewed: int = 0
    doubtful: int = 0
    unreadable: int = 0

    @property
    def is_done(self) -> bool:
        """Every region of it reviewed (a page without regions is not done: nothing was read there)."""
        return self.regions > 0 and self.reviewed == self.regions

    def __add__(self, other: PageProgress) -> PageProgress:
        return PageProgress(
            None,
            self.regions + other.regions,
            self.reviewed + other.reviewed,
            self.doubtful + other.doubtful,
            self.unreadable + other.unreadable,
        )


def _count(
    page: int | None, regions: Sequence[Region], threshold: float, floor: float, doubtful: Doubtful | None
) -> PageProgress:
    unreadable = [r for r in regions if is_unreadable(r, floor)]
    ids = {r.id for r in unreadable}
    is_doubtful = doubtful or (lambda r: needs_review(r, threshold))
    left = sum(is_doubtful(r) for r in regions if r.id not in ids)
    return PageProgress(page, len(regions), count_reviewed(regions), left, len(unreadable))


def page_progress(
    regions: Iterable[Region], page_count: int, threshold: float, floor: float = 0.0, doubtful: Doubtful | None = None
) -> list[PageProgress]:
    """One row per page of a ``page_count``-page document (pages without regions too), in page order.

    ``threshold``: confidence below which a character is doubtful; ``floor``: mean confidence below
    which a reading is unreadable (0: never); ``doubtful``: which regions are doubtful (the app's
    triage score, :mod:`desktop.core.region_triage`; default: a character under ``threshold``).
    A region on a page past ``page_count`` is counted on its page.
    """
    by_page: dict[int, list[Region]] = {}
    for r in regions:
        by_page.setdefault(r.page, []).append(r)
    pages = range(max(page_count, max(by_page, default=-1) + 1))
    return [_count(p, by_page.get(p, []), threshold, floor, doubtful) for p in pages]


def document_progress(rows: Iterable[PageProgress]) -> PageProgress:
    """The document's total of ``rows``."""
    total = PageProgress(None)
    for row in rows:
        total = total + row
    return total
