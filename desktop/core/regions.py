"""A lassoed region of a page and what was read in it. Plain values, no Qt."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from inference.errors import InputError
from inference.geometry import Box, Point

Polygon = tuple[Point, ...]
WordBox = tuple[str, Box]  # (text, (x0, y0, x1, y1)) in page pixels


class RegionStatus(str, Enum):  # noqa: UP042 - str(status) stays "RegionStatus.X"; stored as .value
    """What state a region's text is in. The values are stored in session files: never change them."""

    PENDING = "pending"  # drawn or reshaped, waiting to be read
    RECOGNIZING = "recognising"  # a recognition is in flight (the stored value keeps its first spelling)
    READ = "read"  # the model's text, untouched
    CORRECTED = "corrected"  # a person changed the text
    VERIFIED = "verified"  # a person confirmed the text
    FAILED = "failed"  # recognition failed; ``error`` says why


#: Statuses that mean a person has decided on the text; a late model result keeps that text.
DECIDED = frozenset({RegionStatus.CORRECTED, RegionStatus.VERIFIED})


_SURROGATE = re.compile("[\ud800-\udfff]")


def encodable_text(text: str) -> str:
    """``text`` made encodable as UTF-8 (what a session stores and every export writes): a
    surrogate pair pasted from elsewhere becomes the character it stands for, a lone surrogate
    becomes U+FFFD. Returns ``text`` itself when it holds no surrogate."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def new_region_id() -> str:
    return uuid.uuid4().hex


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def as_polygon(points: Iterable[Sequence[float]]) -> Polygon:
    """Validate and freeze a polygon: at least three finite points."""
    try:
        poly = tuple((float(p[0]), float(p[1])) for p in points)
    except (TypeError, ValueError, IndexError) as exc:
        raise InputError("A region's outline must be a list of (x, y) points.") from exc
    if len(poly) < 3:
        raise InputError("A region needs at least three points.")
    if not all(math.isfinite(v) for p in poly for v in p):
        raise InputError("A region's outline has an invalid point.")
    return poly


def as_rotation(value: Any) -> int:
    """A page turn in clockwise degrees: 0, 90, 180 or 270."""
    try:
        turn = int(value) % 360
    except (TypeError, ValueError):
        raise InputError("A rotation must be a whole number of degrees.") from None
    if turn % 90:
        raise InputError("A page can only be turned by quarter turns.")
    return turn


@dataclass(frozen=True, slots=True)
class Region:
    """One lassoed region. Coordinates are page pixels at the session's dpi; ``page`` is 0-based.
    ``rotation``: clockwise degrees the page was turned on screen when it was drawn, so that
    its text is read upright."""

    id: str
    page: int
    polygon: Polygon
    status: RegionStatus = RegionStatus.PENDING
    model_text: str = ""
    text: str = ""
    confidences: tuple[float, ...] = ()  # one per character of model_text
    words: tuple[WordBox, ...] = ()
    engine: str = ""
    model: str = ""
    updated_by: str = ""
    updated_at: str = ""
    error: str = ""
    rotation: int = 0
    rank: float | None = None  # the reviewer's place for it on its page (None: where it reads)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """``(x0, y0, x1, y1)``: the outline's bounds in page pixels (not rounded)."""
        xs = [p[0] for p in self.polygon]
        ys = [p[1] for p in self.polygon]
        return (min(xs), min(ys), max(xs), max(ys))

    @property
    def min_confidence(self) -> float:
        return min(self.confidences, default=1.0)

    def with_changes(self, **changes: Any) -> Region:
        return replace(self, **changes)

    # -- serialisation (storage and history) --------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "page": self.page,
            "polygon": [list(p) for p in self.polygon],
            "rotation": self.rotation,
            "status": self.status.value,
            "model_text": self.model_text,
            "text": self.text,
            "confidences": list(self.confidences),
            "words": [[t, list(b)] for t, b in self.words],
            "engine": self.engine,
            "model": self.model,
            "updated_by": self.updated_by,
            "updated_at": self.updated_at,
            "error": self.error,
            "rank": self.rank,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Region:
        return cls(
            id=str(d["id"]),
            page=int(d["page"]),
            polygon=as_polygon(d["polygon"]),
            rotation=as_rotation(d.get("rotation", 0)),
            status=RegionStatus(d.get("status", "pending")),
            model_text=d.get("model_text", ""),
            text=d.get("text", ""),
            confidences=tuple(float(c) for c in d.get("confidences", ())),
            words=tuple((str(t), tuple(int(v) for v in b)) for t, b in d.get("words", ())),  # type: ignore[misc]
            engine=d.get("engine", ""),
            model=d.get("model", ""),
            updated_by=d.get("updated_by", ""),
            updated_at=d.get("updated_at", ""),
            error=d.get("error", ""),
            rank=_as_rank(d.get("rank")),
        )


def _as_rank(value: Any) -> float | None:
    """A stored rank: a finite number, or None (the region keeps its place in reading order)."""
    if value is None:
        return None
    rank = float(value)
    if not math.isfinite(rank):
        raise ValueError("rank")
    return rank


_Boxed = tuple[tuple[float, float, float, float], Region]  # a region with its outline's bounds


def sort_regions(regions: Iterable[Region]) -> list[Region]:
    """Reading order: page, then top-to-bottom, then left-to-right.

    Regions side by side on one line (each one's vertical centre inside the other's span)
    form a row that reads left to right, even when their tops differ by a few pixels.
    """
    out: list[Region] = []
    by_page: dict[int, list[_Boxed]] = {}
    for r in regions:  # each outline's bounds once: the list is sorted after every change
        by_page.setdefault(r.page, []).append((r.bbox, r))
    for page in sorted(by_page):
        rows: list[tuple[float, float, list[_Boxed]]] = []  # (top, bottom, members)
        for box, r in sorted(by_page[page], key=lambda br: (br[0][1], br[0][0], br[1].id)):
            _x0, y0, _x1, y1 = box
            centre = (y0 + y1) / 2
            # Both ways: a region over several lines (a whole-page rectangle) is no line's row-mate,
            # else the lines under it would be read left to right instead of top to bottom.
            if rows and rows[-1][0] <= centre <= rows[-1][1] and y0 <= (rows[-1][0] + rows[-1][1]) / 2 <= y1:
                top, bottom, members = rows[-1]
                rows[-1] = (top, bottom, [*members, (box, r)])
            else:
                rows.append((y0, y1, [(box, r)]))
        for _top, _bottom, members in rows:
            out.extend(r for _box, r in sorted(members, key=lambda br: (br[0][0], br[0][1], br[1].id)))
    return out


def order_regions(regions: Iterable[Region]) -> list[Region]:
    """The review's order: reading order (:func:`sort_regions`), with the reviewer's own order where set.

    On a page whose regions carry a ``rank`` (the reviewer moved one up or down), those go by rank;
    a region without one (drawn later) goes just before the region that follows it in reading order
    (last, when none does).
    """
    out: list[Region] = []
    by_page: dict[int, list[Region]] = {}
    for r in sort_regions(regions):
        by_page.setdefault(r.page, []).append(r)
    for page in sorted(by_page):
        reading = by_page[page]
        placed = sorted((r for r in reading if r.rank is not None), key=lambda r: (r.rank, r.id))
        if not placed:
            out.extend(reading)
            continue
        for k in range(len(reading) - 1, -1, -1):  # from the end: the region after it is placed already
            if reading[k].rank is None:  # before the region after it in reading order, else last
                after = reading[k + 1].id if k + 1 < len(reading) else None
                at = next((i for i, p in enumerate(placed) if p.id == after), len(placed))
                placed.insert(at, reading[k])
        out.extend(placed)
    return out


def moved_ranks(page_order: Sequence[Region], region_id: str, delta: int) -> dict[str, float] | None:
    """The ranks that move ``region_id`` ``delta`` places (-1 up, +1 down) within its page's order
    ``page_order`` (as :func:`order_regions` gives it): every region of the page gets its new place,
    so the order holds whatever is drawn later. None when it cannot move (first or last already)."""
    ids = [r.id for r in page_order]
    if region_id not in ids:
        return None
    i = ids.index(region_id)
    j = i + delta
    if not 0 <= j < len(ids):
        return None
    ids[i], ids[j] = ids[j], ids[i]
    return {rid: float(k) for k, rid in enumerate(ids)}
