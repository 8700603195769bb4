"""The batch mark: which pages of a review a batch run has read, with which model, by whom.

A batch run (``notelasso batch``, :mod:`desktop.batch`) commits each page's regions and this mark
in ONE transaction, so a page is either read and marked or neither: a run killed at any moment
and started again reads exactly the pages the mark lacks, and never duplicates a region.

The mark also keeps the audit chain's head as the batch left it. When the head has moved since,
someone changed the review in the app (an edit, a verification, a re-read), and a later batch
run leaves that review alone. Opening a review to look at it adds nothing to the chain.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime

from desktop.core.storage import SessionStore

__all__ = ["MARK_KEY", "BatchMark", "chain_head", "read_mark", "write_mark"]

MARK_KEY = "batch_read"
_HEAD_KEY = "audit_head"  # kept by desktop.core.audit with every entry


@dataclass(frozen=True, slots=True)
class BatchMark:
    """What a batch run did to one review. ``pages``: 0-based pages read (committed) so far."""

    by: str
    started: str
    engine: str
    model: str
    page_count: int
    pages: tuple[int, ...] = ()
    head: str = ""
    finished: str = ""
    doubtful: int = 0  # regions that need a look (doubtful characters, or unreadable)
    regions: int = 0
    doubtful_words: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_complete(self) -> bool:
        return bool(self.finished) and len(set(self.pages)) >= self.page_count

    def with_page(self, page: int, *, regions: int, doubtful: int, doubtful_words: int = 0) -> BatchMark:
        return replace(
            self,
            pages=tuple(sorted({*self.pages, page})),
            regions=self.regions + regions,
            doubtful=self.doubtful + doubtful,
            doubtful_words=self.doubtful_words + doubtful_words,
        )

    def describe(self) -> str:
        """One sentence for the reviewer (no patient text): who read the document, when, with what."""
        when = _short_time(self.finished or self.started)
        done = f"{len(self.pages)} of {self.page_count} pages" if not self.is_complete else f"{self.page_count} pages"
        doubt = f"; {self.doubtful} region{'s' if self.doubtful != 1 else ''} to check" if self.doubtful else ""
        return f"Read by a batch run of {self.by} on {when} with {self.model} ({self.engine}): {done}{doubt}."

    def to_json(self) -> str:
        d = asdict(self)
        d["pages"] = list(self.pages)
        return json.dumps(d, sort_keys=True)

    @staticmethod
    def from_json(text: str | None) -> BatchMark | None:
        """The mark stored as ``text``; None for none or an unreadable one (never raises)."""
        if not text:
            return None
        try:
            d = json.loads(text)
            d["pages"] = tuple(int(p) for p in d.get("pages", ()))
            d["extra"] = {str(k): str(v) for k, v in dict(d.get("extra") or {}).items()}
            return BatchMark(**d)
        except (TypeError, ValueError, AttributeError):
            return None


def _short_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso


def read_mark(store: SessionStore) -> BatchMark | None:
    """The batch mark of a review, or None when no batch run has read it."""
    return BatchMark.from_json(store.get_meta(MARK_KEY))


def write_mark(store: SessionStore, mark: BatchMark) -> None:
    """Store ``mark`` (inside the caller's transaction when one is open)."""
    store.set_meta(MARK_KEY, mark.to_json())


def chain_head(store: SessionStore) -> str:
    """The audit chain's head now ("" for a review without a chain)."""
    return store.get_meta(_HEAD_KEY, "") or ""
