"""The triage of a stored region: one :class:`~desktop.core.triage.TriageWord` per word of its
text, from what the region holds (the model's confidences carried onto the text, the clinical
checks) and, once it has arrived, the second reader's words. No Qt.

Results are cached on everything they depend on (the text, the model's reading, the second
reading, the document's years), so asking again after a refresh costs a dictionary look-up and a
correction or a second reading simply asks with new inputs. Measured: checks and triage of a
50-word region take about 2 ms (the drug lexicon loaded once, about 0.15 s, see
:func:`warm_up`); the alignment with a second reading about 25 ms more, once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

from desktop.core.checks import default_lexicon, tokens, years_in
from desktop.core.lexicon import Lexicon
from desktop.core.regions import Region, RegionStatus
from desktop.core.review import align_confidences, first_on_or_after, is_reviewed, is_unreadable
from desktop.core.triage import TriageWord, WordReading, align_second_reading, triage_words

__all__ = [
    "document_years",
    "is_doubtful",
    "next_triaged",
    "region_triage",
    "text_triage",
    "use_words",
    "warm_up",
]

_READ = frozenset({RegionStatus.READ, RegionStatus.CORRECTED, RegionStatus.VERIFIED})


_words: list[Lexicon] = []  # the word lists the score asks "unknown word?" of, once loaded


def warm_up() -> None:
    """Load the drug lexicon (about 0.15 s): call it off the GUI thread before the first triage."""
    default_lexicon()


def use_words(lexicon: Lexicon | None) -> None:
    """The word lists the score asks "is this word unknown?" (the app's, once loaded off the GUI
    thread; None: none). Until they are in, no word counts as unknown; triages asked before
    are forgotten."""
    _words[:] = [lexicon] if lexicon is not None else []
    text_triage.cache_clear()


def _is_known(word: str) -> bool:
    return not _words or _words[0].is_known(word)


@lru_cache(maxsize=2048)
def text_triage(
    text: str,
    model_text: str,
    confidences: tuple[float, ...],
    second_words: tuple[str, ...] | None = None,
    years: tuple[int, ...] = (),
) -> tuple[TriageWord, ...]:
    """The triage of ``text`` read by the model as ``model_text`` with ``confidences`` (characters
    a person typed count as certain), ``second_words`` what the second reader read (None: none
    ran, or not yet), ``years`` the document's other years (for the date check)."""
    aligned = align_confidences(model_text, confidences, text)
    toks = tokens(text)
    others = align_second_reading([t.text for t in toks], " ".join(second_words)) if second_words else None
    words = [
        WordReading(t.text, tuple(aligned[t.start : t.end]), others[t.index] if others is not None else None)
        for t in toks
    ]
    known = _is_known if _words and _words[0].is_available else None
    return tuple(triage_words(text, words, document_years=years, is_known=known))


def region_triage(
    region: Region, second_words: Sequence[str] | None = None, years: Sequence[int] = ()
) -> tuple[TriageWord, ...]:
    """The triage of ``region``'s text (nothing for a region not read yet or failed)."""
    if region.status not in _READ or not region.text.strip():
        return ()
    second = tuple(w for w in second_words if w.strip()) if second_words is not None else None
    return text_triage(region.text, region.model_text, tuple(region.confidences), second or None, tuple(years))


def document_years(regions: Sequence[Region]) -> tuple[int, ...]:
    """The years the document's regions mention, sorted, each once (a region's own years may be
    among them: the date check allows for it)."""
    return tuple(sorted({y for r in regions for y in years_in(r.text)}))


def is_doubtful(
    region: Region, threshold: float, second_words: Sequence[str] | None = None, years: Sequence[int] = ()
) -> bool:
    """A region no person has corrected or verified holding a word whose triage score reaches
    ``threshold`` (the setting ``review/triage_threshold``)."""
    if is_reviewed(region):
        return False
    return any(w.score >= threshold for w in region_triage(region, second_words, years))


def next_triaged(
    order: Sequence[Region], current_id: str | None, page: int, doubtful: Callable[[Region], bool], floor: float = 0.0
) -> Region | None:
    """F8: the next region after the current one (wrapping round the document) that ``doubtful``
    holds doubtful, or that is unreadable by ``floor``. With nothing selected the search starts at
    ``page``; None when no region needs review."""
    ids = [r.id for r in order]
    start = ids.index(current_id) + 1 if current_id in ids else first_on_or_after(order, page) % max(1, len(order))
    return next((r for r in [*order[start:], *order[:start]] if doubtful(r) or is_unreadable(r, floor)), None)
