"""The hash-chained audit trail: every change is an entry, and any tampering is detected (decision 013)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from desktop.core.audit import GENESIS_PREV, canonical, chain_hash, verify_rows
from desktop.core.history import AddRegion, SetPolygon, SetStatus, SetText
from desktop.core.regions import RegionStatus
from desktop.core.session import ReviewSession
from desktop.core.signoff import SignOffRefusedError
from tests.desktop.core.conftest import make_result, rect


def _reviewed(image_doc: Path, tmp_path: Path) -> Path:
    """A short review through the core, closed; returns its file."""
    with ReviewSession.open(image_doc, store_dir=tmp_path / "reviews", user="clerk1") as s:
        add = AddRegion.new(0, rect(0, 0, 40, 20))
        s.do(add)
        s.apply_recognition(add.region_id, make_result([[("Aspirin", (0, 0, 30, 15))]]), engine="cpu", model="p 1.0")
        s.do(SetText(add.region_id, text="Aspirin 75mg"))
        s.do(SetPolygon(add.region_id, polygon=tuple(rect(0, 0, 50, 20))))
        s.undo()
        s.redo()
        s.do(SetStatus(add.region_id, status="verified"))
        return s.store.path


def _chain(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def _verify(path: Path) -> tuple[bool, int | None]:
    with contextlib.closing(_chain(path)) as con:
        verdict = verify_rows(con)
    return verdict.is_intact, verdict.broken_seq


def test_every_change_undo_and_redo_included_is_an_entry(image_doc: Path, tmp_path: Path) -> None:
    # GIVEN a review with an add, a reading, an edit, a reshape undone and redone, and a verification
    path = _reviewed(image_doc, tmp_path)
    # WHEN its trail is read back
    with contextlib.closing(_chain(path)) as con:
        rows = con.execute("SELECT entry FROM audit_chain ORDER BY seq").fetchall()
    entries = [json.loads(r[0]) for r in rows]
    # THEN each change is there in order, with who, when, what it replaced and the model that read it
    actions = [e["action"] for e in entries]
    assert actions[:4] == ["genesis", "add", "recognised", "edit"]
    assert "undo" in actions and "redo" in actions and actions[-1] == "status"
    edit = entries[3]
    assert edit["reviewer"] == "clerk1" and edit["at"].endswith("+00:00")
    assert (edit["text_before"], edit["text_after"], edit["machine_before"]) == ("Aspirin", "Aspirin 75mg", "Aspirin")
    assert (edit["engine"], edit["model"]) == ("cpu", "p 1.0")
    reshape = entries[4]
    assert reshape["outline_before"] != reshape["outline_after"]
    assert _verify(path) == (True, None)


def test_the_format_is_verifiable_by_another_tool(image_doc: Path, tmp_path: Path) -> None:
    # GIVEN a review's stored chain
    path = _reviewed(image_doc, tmp_path)
    with contextlib.closing(_chain(path)) as con:
        rows = con.execute("SELECT seq, prev, hash, entry FROM audit_chain ORDER BY seq").fetchall()
    # WHEN each hash is recomputed as decision 013 describes, with nothing but hashlib and json
    prev = "0" * 64
    for seq, stored_prev, digest, entry in rows:
        assert stored_prev == prev and json.loads(entry)["seq"] == seq
        assert json.dumps(json.loads(entry), sort_keys=True, separators=(",", ":"), ensure_ascii=False) == entry
        assert hashlib.sha256(f"{prev}\n{entry}".encode()).hexdigest() == digest
        prev = digest
    # THEN the helpers agree with the written rule
    assert prev == chain_hash(rows[-1][1], canonical(json.loads(rows[-1][3]))) and rows[0][1] == GENESIS_PREV


@pytest.mark.parametrize("tamper", ["change", "delete", "reorder", "cut_tail", "rehash_one"])
def test_a_changed_deleted_or_reordered_entry_is_detected(image_doc: Path, tmp_path: Path, tamper: str) -> None:
    # GIVEN a review whose trail verifies
    path = _reviewed(image_doc, tmp_path)
    assert _verify(path) == (True, None)
    # WHEN someone edits the file behind NoteLasso's back
    with contextlib.closing(_chain(path)) as con:
        rows = con.execute("SELECT seq, prev, hash, entry FROM audit_chain ORDER BY seq").fetchall()
        if tamper == "change":
            con.execute("UPDATE audit_chain SET entry=replace(entry, 'Aspirin 75mg', 'Aspirin 7.5mg') WHERE seq=3")
            expected = 3
        elif tamper == "delete":
            con.execute("DELETE FROM audit_chain WHERE seq=2")
            expected = 2
        elif tamper == "reorder":
            con.execute("UPDATE audit_chain SET prev=?, hash=?, entry=? WHERE seq=2", rows[3][1:])
            con.execute("UPDATE audit_chain SET prev=?, hash=?, entry=? WHERE seq=3", rows[2][1:])
            expected = 2
        elif tamper == "cut_tail":
            con.execute("DELETE FROM audit_chain WHERE seq=?", (rows[-1][0],))
            expected = len(rows) - 1
        else:  # change an entry and recompute its own hash: the next entry's link breaks
            entry = json.loads(rows[3][3])
            entry["text_after"] = "Aspirin 7.5mg"
            text = canonical(entry)
            con.execute("UPDATE audit_chain SET hash=?, entry=? WHERE seq=3", (chain_hash(rows[3][1], text), text))
            expected = 4
    # THEN verification fails and names the first broken entry
    assert _verify(path) == (False, expected)


def test_a_review_saved_before_the_chain_opens_and_starts_one(image_doc: Path, tmp_path: Path) -> None:
    # GIVEN a review as an earlier NoteLasso left it: schema 2, unchained audit rows, no audit_chain table
    path = _reviewed(image_doc, tmp_path)
    with contextlib.closing(_chain(path)) as con:
        con.execute("DROP TABLE audit_chain")
        con.execute("DELETE FROM meta WHERE key IN ('audit_head', 'audit_count')")
        con.execute("INSERT INTO audit(at, user, region_id, action) VALUES('2024-01-01', 'old', NULL, 'add')")
        con.execute("PRAGMA user_version=2")
    # WHEN it is opened and changed
    with ReviewSession.open(image_doc, store_dir=tmp_path / "reviews", user="clerk2") as s:
        assert not s.opening.notices and len(s) == 1
        s.set_text(s.regions()[0].id, "Aspirin 100mg")
        log = s.store.audit_log()
    # THEN the chain starts with a genesis entry that counts the earlier rows, and verifies
    assert [e["action"] for e in log] == ["genesis", "edit"]
    assert log[0]["detail"]["earlier_unchained_rows"] == 1 and log[0]["prev"] == GENESIS_PREV
    assert _verify(path) == (True, None)


def test_sign_off_records_the_head_and_a_later_change_reopens_it(image_doc: Path, tmp_path: Path) -> None:
    with ReviewSession.open(image_doc, store_dir=tmp_path / "reviews", user="clerk1") as s:
        events: list[str] = []
        s.subscribe(lambda event, _region: events.append(event))
        r = s.add_region(0, rect(0, 0, 10, 10))
        # GIVEN a region not reviewed yet: sign-off is refused
        with pytest.raises(SignOffRefusedError):
            s.sign_off()
        # WHEN every region is reviewed and the document is signed off
        s.set_status(r.id, RegionStatus.VERIFIED)
        signed = s.sign_off()
        assert signed.chain_head == s.store.audit_log()[-1]["hash"] and not signed.is_open
        assert s.sign_off_state() == signed and events[-1] == "signed"
        # THEN a later change reopens it, visibly and in the trail
        s.set_text(r.id, "changed")
        state = s.sign_off_state()
        assert state is not None and state.is_open and state.reopened_by == "clerk1"
        assert "reopened" in events
        assert [e["action"] for e in s.store.audit_log()][-3:] == ["sign_off", "reopen", "edit"]
        path = s.store.path
    assert _verify(path) == (True, None)


def test_every_export_with_a_metadata_field_carries_the_standing_sign_off(image_doc: Path, tmp_path: Path) -> None:
    import pymupdf

    from desktop.core.export import export_session
    from inference.documents import open_document

    with (
        ReviewSession.open(image_doc, store_dir=tmp_path / "reviews", user="clerk1") as s,
        open_document(image_doc) as doc,
    ):
        # GIVEN a signed-off review
        r = s.add_region(0, rect(0, 0, 40, 20))
        s.set_status(r.id, RegionStatus.VERIFIED)
        head = s.sign_off().chain_head
        # WHEN it is exported in every format that has a metadata field
        for fmt in ("json", "hocr", "alto", "page", "pdf"):
            export_session(s, fmt, tmp_path / f"out.{fmt}", document=doc)
        page_xml = sorted(tmp_path.glob("out*page*"))[0]  # PAGE XML holds one page per file
        # THEN each names the reviewer and the chain head it signed
        texts = [(tmp_path / f"out.{fmt}").read_text(encoding="utf-8") for fmt in ("json", "hocr", "alto")]
        texts.append(page_xml.read_text(encoding="utf-8"))
        with pymupdf.open(str(tmp_path / "out.pdf")) as pdf:
            texts.append(str(pdf.metadata.get("keywords", "")))
        for text in texts:
            assert "clerk1" in text and head in text
        # WHEN the review changes after the sign-off THEN exports no longer claim it
        s.set_text(r.id, "changed")
        export_session(s, "hocr", tmp_path / "after.hocr", document=doc)
        assert head not in (tmp_path / "after.hocr").read_text(encoding="utf-8")
