"""ReviewSession: region changes, recognition results, observers, undo/redo (also after reopening)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.core.history import AddRegion, Batch, RemoveRegion, SetPolygon, SetStatus, SetText
from desktop.core.regions import Region, RegionStatus
from desktop.core.session import ReviewSession
from inference.errors import DocumentError, InputError
from tests.desktop.core.conftest import make_result, rect


def get_region(session: ReviewSession, region_id: str) -> Region:
    """The region with that id, failing the test if the session has none."""
    r = session.get(region_id)
    assert r is not None, f"no region {region_id}"
    return r


def test_add_region_is_pending_with_provenance(session: ReviewSession) -> None:
    r = session.add_region(0, rect(10, 20, 110, 60))
    assert r.status is RegionStatus.PENDING
    assert len(r.id) == 32 and r.page == 0
    assert r.bbox == (10, 20, 110, 60)
    assert r.updated_by == "clerk1" and r.updated_at
    assert session.get(r.id) == r


def test_region_needs_three_points(session: ReviewSession) -> None:
    with pytest.raises(InputError):
        session.add_region(0, [(0, 0), (1, 1)])


def test_open_missing_document_raises_document_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError):
        ReviewSession.open(tmp_path / "nope.pdf")


def test_regions_in_reading_order(session: ReviewSession) -> None:
    # GIVEN regions drawn out of order over two pages, two of them side by side
    c = session.add_region(1, rect(0, 0, 10, 10))
    b = session.add_region(0, rect(200, 102, 260, 130))  # right of a, top a little lower
    a = session.add_region(0, rect(10, 100, 100, 130))
    top = session.add_region(0, rect(150, 10, 200, 40))
    # THEN page first, then top-to-bottom, left-to-right
    assert [r.id for r in session.regions()] == [top.id, a.id, b.id, c.id]
    assert [r.id for r in session.regions(page=1)] == [c.id]


def test_recognition_result_makes_region_read(session: ReviewSession) -> None:
    r = session.add_region(0, rect(0, 0, 200, 40))
    session.begin_recognition(r.id)
    assert get_region(session, r.id).status is RegionStatus.RECOGNIZING
    result = make_result([[("BP", (2, 2, 30, 30)), ("128/82", (40, 2, 120, 30))]])
    out = session.apply_recognition(r.id, result, engine="onnxruntime-cpu", model="parseq-mini 1.0")
    assert out is not None and out.status is RegionStatus.READ
    assert out.model_text == out.text == "BP 128/82"
    assert len(out.confidences) == len(out.model_text)
    assert out.words == (("BP", (2, 2, 30, 30)), ("128/82", (40, 2, 120, 30)))
    assert (out.engine, out.model) == ("onnxruntime-cpu", "parseq-mini 1.0")


def test_a_region_read_turned_keeps_the_turn(session: ReviewSession) -> None:
    from dataclasses import replace

    # GIVEN a region drawn on a page turned 90 degrees in the view
    r = session.add_region(0, rect(0, 0, 40, 300), rotation=90)
    session.begin_recognition(r.id)
    # WHEN the recogniser finds its text upright only a further 270 degrees on (it runs the other way)
    result = replace(make_result([[("82200067", (0, 0, 40, 300))]]), auto_turn=270)
    out = session.apply_recognition(r.id, result, engine="e", model="m")
    # THEN the region keeps the turn that reads it upright, for its preview, exports and re-reads
    assert out is not None and out.rotation == 0 and out.text == "82200067"
    plain = session.add_region(0, rect(0, 400, 200, 440))
    session.begin_recognition(plain.id)
    plain_out = session.apply_recognition(plain.id, make_result([[("BP", (0, 400, 30, 440))]]), engine="e", model="m")
    assert plain_out is not None and plain_out.rotation == 0


def test_result_for_deleted_or_reshaped_region_is_ignored(session: ReviewSession) -> None:
    result = make_result([[("x", (0, 0, 5, 5))]])
    a = session.add_region(0, rect(0, 0, 50, 50))
    session.begin_recognition(a.id)
    session.remove_region(a.id)
    assert session.apply_recognition(a.id, result, engine="e", model="m") is None
    assert session.get(a.id) is None

    b = session.add_region(0, rect(0, 0, 50, 50))
    gen = session.begin_recognition(b.id)
    session.set_polygon(b.id, rect(0, 0, 80, 50))
    assert session.apply_recognition(b.id, result, engine="e", model="m") is None
    assert get_region(session, b.id).status is RegionStatus.PENDING
    # an explicit generation from an older begin_recognition is stale too
    session.begin_recognition(b.id)
    assert session.apply_recognition(b.id, result, engine="e", model="m", generation=gen) is None
    assert session.apply_recognition(b.id, result, engine="e", model="m") is not None


def test_late_result_keeps_a_persons_correction(session: ReviewSession) -> None:
    r = session.add_region(0, rect(0, 0, 50, 50))
    session.begin_recognition(r.id)
    session.set_text(r.id, "typed by hand")
    out = session.apply_recognition(r.id, make_result([[("model", (0, 0, 5, 5))]]), engine="e", model="m")
    assert out is not None
    assert out.text == "typed by hand" and out.model_text == "model"
    assert out.status is RegionStatus.CORRECTED


def test_set_text_status_follows_model_text(session: ReviewSession) -> None:
    r = session.add_region(0, rect(0, 0, 50, 50))
    session.apply_recognition(r.id, make_result([[("Metf0rmin", (0, 0, 5, 5))]]), engine="e", model="m")
    assert session.set_text(r.id, "Metformin").status is RegionStatus.CORRECTED
    assert session.set_text(r.id, "Metf0rmin").status is RegionStatus.READ
    assert session.set_status(r.id, "verified").status is RegionStatus.VERIFIED


def test_mark_failed_keeps_message(session: ReviewSession) -> None:
    r = session.add_region(0, rect(0, 0, 50, 50))
    session.begin_recognition(r.id)
    out = session.mark_failed(r.id, "The recogniser is not available.")
    assert out is not None
    assert out.status is RegionStatus.FAILED and out.error == "The recogniser is not available."
    session.begin_recognition(r.id)
    assert get_region(session, r.id).error == ""


def test_observers_hear_each_change_after_it_is_saved(session: ReviewSession) -> None:
    seen: list[tuple[str, str | None]] = []

    def listener(event: str, region: Region | None) -> None:
        # the change is already saved when listeners hear about it
        if region is not None and event != "removed":
            assert any(x.id == region.id for x in session.store.load_regions())
        seen.append((event, region.id if region else None))

    unsubscribe = session.subscribe(listener)
    r = session.add_region(0, rect(0, 0, 50, 50))
    session.set_text(r.id, "abc")
    removed = session.remove_region(r.id)
    session.restore_region(removed)
    assert seen == [("added", r.id), ("changed", r.id), ("removed", r.id), ("added", r.id)]
    unsubscribe()
    session.set_text(r.id, "x")
    assert len(seen) == 4


def test_failing_listener_does_not_break_the_session(session: ReviewSession) -> None:
    def broken_listener(event: str, region: Region | None) -> None:
        raise ZeroDivisionError("a listener with a bug")

    session.subscribe(broken_listener)
    r = session.add_region(0, rect(0, 0, 50, 50))
    assert session.get(r.id) is not None


def test_undo_redo_each_operation(session: ReviewSession) -> None:
    # GIVEN a region added through the history and read by the model
    add = AddRegion.new(0, rect(0, 0, 100, 40))
    session.do(add)
    rid = add.region_id
    session.apply_recognition(rid, make_result([[("Lisinopri1", (0, 0, 90, 30))]]), engine="e", model="m")
    # WHEN a person corrects, verifies, reshapes and finally deletes it
    session.do(SetText(rid, text="Lisinopril"))
    session.do(SetStatus(rid, status="verified"))
    session.do(SetPolygon(rid, polygon=tuple(rect(0, 0, 120, 40))))
    session.do(RemoveRegion(rid))
    assert session.get(rid) is None
    assert session.undo_text() == "Delete region"
    # THEN each undo walks back one step
    session.undo()
    assert get_region(session, rid).status is RegionStatus.PENDING and get_region(session, rid).bbox[2] == 120
    session.undo()
    assert get_region(session, rid).status is RegionStatus.VERIFIED and get_region(session, rid).bbox[2] == 100
    session.undo()
    assert get_region(session, rid).status is RegionStatus.CORRECTED
    session.undo()
    assert get_region(session, rid).text == "Lisinopri1" and get_region(session, rid).status is RegionStatus.READ
    assert session.undo_text() == "Add region"
    session.undo()
    assert session.get(rid) is None and not session.can_undo()
    # AND redo brings the region back with the text it had been read as
    assert session.redo_text() == "Add region"
    session.redo()
    assert get_region(session, rid).text == "Lisinopri1"
    session.redo()
    session.redo()
    assert get_region(session, rid).text == "Lisinopril" and get_region(session, rid).status is RegionStatus.VERIFIED


def test_new_action_drops_redo_steps(session: ReviewSession) -> None:
    a, b = AddRegion.new(0, rect(0, 0, 10, 10)), AddRegion.new(0, rect(20, 0, 30, 10))
    session.do(a)
    session.undo()
    assert session.can_redo()
    session.do(b)
    assert not session.can_redo()
    assert session.history() == (["Add region"], 1)


def test_batch_is_one_step(session: ReviewSession) -> None:
    ids = [session.add_region(0, rect(i * 20, 0, i * 20 + 10, 10)).id for i in range(3)]
    session.do(Batch([RemoveRegion(i) for i in ids], text="Delete 3 regions"))
    assert len(session) == 0
    assert session.undo_text() == "Delete 3 regions"
    session.undo()
    assert sorted(r.id for r in session.regions()) == sorted(ids)


def test_failed_operation_changes_nothing(session: ReviewSession) -> None:
    r = session.add_region(0, rect(0, 0, 10, 10))
    events = []
    session.subscribe(lambda e, reg: events.append(e))
    # the second op fails: the first one's change must not survive, in memory or on disk
    with pytest.raises(InputError):
        session.do(Batch([SetText(r.id, text="x"), SetText("missing", text="y")]))
    assert get_region(session, r.id).text == ""
    assert session.store.load_regions()[0].text == ""
    assert not session.can_undo()
    assert events == ["reset"]


def test_undo_history_survives_reopening(image_doc: Path) -> None:
    # GIVEN a session with three steps, one of them undone
    s = ReviewSession.open(image_doc, user="clerk1")
    add = AddRegion.new(0, rect(5, 5, 80, 30))
    s.do(add)
    s.apply_recognition(add.region_id, make_result([[("BID", (6, 6, 40, 28))]]), engine="e", model="m")
    s.do(SetText(add.region_id, text="BID."))
    s.do(SetStatus(add.region_id, status="verified"))
    s.undo()
    s.close()
    # WHEN the document is opened again
    s2 = ReviewSession.open(image_doc, user="clerk2")
    try:
        # THEN the state and both undo and redo are there
        reopened = get_region(s2, add.region_id)
        assert reopened.text == "BID." and reopened.status is RegionStatus.CORRECTED
        assert s2.history() == (["Add region", "Edit text", "Mark verified"], 2)
        assert s2.redo_text() == "Mark verified"
        s2.redo()
        assert get_region(s2, add.region_id).status is RegionStatus.VERIFIED
        s2.undo()
        s2.undo()
        assert get_region(s2, add.region_id).text == "BID"
        s2.undo()
        assert s2.get(add.region_id) is None
    finally:
        s2.close()


def test_recognizing_becomes_pending_after_restart(image_doc: Path) -> None:
    s = ReviewSession.open(image_doc)
    r = s.add_region(0, rect(0, 0, 10, 10))
    s.begin_recognition(r.id)
    s.close()
    s2 = ReviewSession.open(image_doc)
    assert get_region(s2, r.id).status is RegionStatus.PENDING
    s2.close()


def test_status_values_stored_in_session_files_keep_reading() -> None:
    """Renaming a status in code must not change what session files hold."""
    assert [s.value for s in RegionStatus] == ["pending", "recognising", "read", "corrected", "verified", "failed"]
    assert RegionStatus("recognising") is RegionStatus.RECOGNIZING


def test_dpi_sticks_to_the_session(image_doc: Path) -> None:
    ReviewSession.open(image_doc, dpi=300).close()
    s = ReviewSession.open(image_doc, dpi=200)
    assert s.dpi == 300
    s.close()


def test_listener_may_start_recognition_when_a_region_is_added(session: ReviewSession) -> None:
    # the Qt shell queues a read as soon as a region appears
    started: list[int] = []

    def on_event(event: str, region: Region | None) -> None:
        if event == "added" and region is not None:
            started.append(session.begin_recognition(region.id))

    session.subscribe(on_event)
    session.do(AddRegion.new(0, rect(0, 0, 40, 20)))
    [rid] = [r.id for r in session.regions()]
    assert get_region(session, rid).status is RegionStatus.RECOGNIZING
    out = session.apply_recognition(
        rid, make_result([[("ok", (0, 0, 9, 9))]]), engine="e", model="m", generation=started[0]
    )
    assert out is not None and out.status is RegionStatus.READ


def test_a_correction_holding_a_lone_surrogate_is_saved_with_a_replacement_character(session) -> None:
    # GIVEN a region; WHEN a correction pasted from elsewhere holds half a UTF-16 pair and a whole pair
    from desktop.core.history import AddRegion

    op = AddRegion.new(0, [(10, 10), (200, 10), (200, 60), (10, 60)])
    session.do(op)
    region = session.set_text(op.region_id, "BP 120\ud800/80 \ud83e\ude7a")
    # THEN it is stored (no UnicodeEncodeError), the lone half as U+FFFD, the pair as its character
    assert region.text == "BP 120\ufffd/80 \U0001fa7a"
    assert session.get(op.region_id).text == region.text
