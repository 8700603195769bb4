"""The batch mark and the reviews a batch run must leave alone (in-process, the real CPU back end)."""

from __future__ import annotations

from pathlib import Path

from desktop.batch.engine import BUSY, EDITED, READ, BatchOptions, BatchRun, doubtful_words, find_inputs
from desktop.batch.samples import write_backlog
from desktop.core.batch_mark import BatchMark, read_mark
from desktop.core.regions import Region, RegionStatus
from desktop.core.session import ReviewSession
from desktop.core.triage import DEFAULT_THRESHOLD
from inference.backends import BackendConfig, open_backend
from inference.recognizer import Recognizer


def test_the_mark_round_trips_and_says_who_read_with_what() -> None:
    mark = BatchMark("night batch", "2026-12-01T07:00:00.000+00:00", "CPU", "parseq 1.2", 2, pages=(0, 1))
    assert BatchMark.from_json(mark.to_json()) == mark
    assert not mark.is_complete  # pages done, but the run has not finished the document
    told = mark.describe()
    assert "night batch" in told and "parseq 1.2" in told and "2026-12-01 07:00 UTC" in told
    assert BatchMark.from_json(None) is None and BatchMark.from_json("{not json") is None


def test_reviews_open_in_a_window_or_drawn_by_a_person_are_left_alone(tmp_path: Path, bundled_model: Path) -> None:
    # GIVEN three documents: one open in a NoteLasso window, one where a person drew a region, one untouched
    busy, drawn, fresh = write_backlog(tmp_path / "in", documents=3, pages=1)
    store = tmp_path / "store"
    with ReviewSession.open(drawn, store_dir=store, user="dr.lee") as session:
        session.add_region(0, [(1, 1), (50, 1), (50, 20), (1, 20)])
    backend = open_backend(BackendConfig("cpu", {"model_path": str(bundled_model), "threads": 1}))
    try:
        documents, _ = find_inputs([tmp_path / "in"])
        with ReviewSession.open(busy, store_dir=store, user="dr.lee"):
            # WHEN a batch run reads the folder
            summary = BatchRun(Recognizer(backend), BatchOptions(store_dir=store, concurrency=2)).run(documents)
    finally:
        backend.close()

    # THEN only the untouched document is read; the others are named with why, and unchanged
    outcome = {d.path.name: d.outcome for d in summary.documents}
    assert outcome == {busy.name: BUSY, drawn.name: EDITED, fresh.name: READ}
    with ReviewSession.open(drawn, store_dir=store) as session:
        assert len(session.regions()) == 1 and read_mark(session.store) is None
    with ReviewSession.open(busy, store_dir=store) as session:
        assert not session.regions() and read_mark(session.store) is None
    with ReviewSession.open(fresh, store_dir=store) as session:
        mark = read_mark(session.store)
        assert mark is not None and mark.is_complete and len(session.regions()) == mark.regions > 0
    assert summary.exit_code == 0


def test_doubtful_words_count_the_words_the_triage_flags() -> None:
    # "BP 120/8O pulse": a letter in the BP (a check flags it) and the s of "pulse" read at 0.4
    text = "BP 120/8O pulse"
    confidences = tuple(0.4 if i == 14 else 0.99 for i in range(len(text)))
    region = Region("r", 0, ((0, 0), (9, 0), (9, 9)), RegionStatus.READ, text, text, confidences)
    assert doubtful_words(region, DEFAULT_THRESHOLD, 0.0) == 2
    assert doubtful_words(region, 1.0, 0.0) == 1  # the check's word scores 1: flagged at any threshold
    assert doubtful_words(region, DEFAULT_THRESHOLD, 0.99) == 3  # unreadable by that floor: every word
