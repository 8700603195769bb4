"""Session storage: where the file lives, that every change is saved at once, and the audit trail."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from desktop.core.history import AddRegion
from desktop.core.placement import LEGACY_SUFFIX
from desktop.core.regions import Region, RegionStatus
from desktop.core.session import ReviewSession
from desktop.core.storage import SCHEMA_VERSION, SessionStore, StorageError
from inference.errors import InputError
from tests.desktop.core.conftest import ROOT, make_result, rect


def get_region(session: ReviewSession, region_id: str) -> Region:
    """The region with that id, failing the test if the session has none."""
    r = session.get(region_id)
    assert r is not None, f"no region {region_id}"
    return r


def legacy_path(document: Path) -> Path:
    """Where an earlier NoteLasso saved a document's review: beside it."""
    return document.with_name(document.name + LEGACY_SUFFIX)


def test_reviews_live_in_the_data_folder_never_beside_the_document(image_doc: Path, private_data_dir: Path) -> None:
    before = sorted(p.name for p in image_doc.parent.iterdir())
    s = ReviewSession.open(image_doc)
    assert s.store.path.parent == private_data_dir / "notelasso" / "reviews"
    assert s.store.path.name.startswith(f"{s.doc_hash}-") and s.store.path.suffix == ".sqlite"
    con = s.store._con
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    s.add_region(0, rect(0, 0, 10, 10))
    s.close()
    assert sorted(p.name for p in image_doc.parent.iterdir()) == before


def test_store_dir_overrides(image_doc: Path, tmp_path: Path, private_data_dir: Path) -> None:
    s = ReviewSession.open(image_doc, store_dir=tmp_path / "store")
    assert s.store.path.parent == tmp_path / "store"
    assert s.store.path.name.startswith(s.doc_hash)
    s.close()
    assert not private_data_dir.exists() or not any(private_data_dir.rglob("*.sqlite"))


def test_renamed_document_finds_its_session(image_doc: Path) -> None:
    s = ReviewSession.open(image_doc)
    r = s.add_region(0, rect(0, 0, 10, 10))
    s.set_text(r.id, "kept")
    path = s.store.path
    s.close()
    renamed = image_doc.with_name("renamed-scan.png")
    image_doc.rename(renamed)
    s2 = ReviewSession.open(renamed)
    assert get_region(s2, r.id).text == "kept"
    assert s2.store.path == path and s2.opening.notices == ()
    s2.close()


def test_moved_document_finds_its_session(image_doc: Path, tmp_path: Path) -> None:
    # GIVEN a reviewed document, moved to another folder
    s = ReviewSession.open(image_doc)
    r = s.add_region(0, rect(0, 0, 10, 10))
    s.set_text(r.id, "kept")
    s.close()
    elsewhere = tmp_path / "moved"
    elsewhere.mkdir()
    moved = elsewhere / "moved-note.png"
    shutil.move(image_doc, moved)
    # WHEN it is opened from there THEN its review is found by content, and follows it
    s2 = ReviewSession.open(moved)
    assert get_region(s2, r.id).text == "kept"
    s2.set_text(r.id, "kept after the move")
    s2.close()
    s3 = ReviewSession.open(moved)
    assert get_region(s3, r.id).text == "kept after the move"
    s3.close()


def test_a_review_saved_beside_the_document_by_an_earlier_version_is_copied_in(image_doc: Path, tmp_path: Path) -> None:
    # GIVEN a review an earlier NoteLasso left beside the document, under an older name of it
    old = ReviewSession.open(image_doc, store_dir=tmp_path / "old")
    r = old.add_region(0, rect(0, 0, 10, 10))
    old.set_text(r.id, "kept")
    old.close()
    legacy = legacy_path(image_doc.with_name("old-name.png"))
    shutil.copy(old.store.path, legacy)
    legacy_bytes = legacy.read_bytes()
    # WHEN the document is opened
    s = ReviewSession.open(image_doc)
    try:
        # THEN the review is there, copied into the data folder, the old file untouched, and the reviewer told
        assert get_region(s, r.id).text == "kept"
        assert "copied" in " ".join(s.opening.notices)
        assert legacy.read_bytes() == legacy_bytes and s.store.path != legacy
    finally:
        s.close()


def test_changed_document_content_starts_a_new_session(image_doc: Path) -> None:
    s = ReviewSession.open(image_doc)
    s.add_region(0, rect(0, 0, 10, 10))
    s.close()
    image_doc.write_bytes(image_doc.read_bytes() + b"\0")  # different content, same name
    s2 = ReviewSession.open(image_doc)
    assert len(s2) == 0
    assert s2.store.path != s.store.path
    s2.close()


def test_newer_schema_is_refused(image_doc: Path) -> None:
    s = ReviewSession.open(image_doc)
    path = s.store.path
    s.close()
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(StorageError, match="newer NoteLasso"):
        ReviewSession.open(image_doc)


def test_audit_records_who_what_and_the_text_it_replaced(session: ReviewSession) -> None:
    r = session.add_region(0, rect(0, 0, 10, 10))
    session.apply_recognition(r.id, make_result([[("Metformin", (0, 0, 9, 9))]]), engine="ort", model="m1")
    session.set_text(r.id, "Metformin XR")
    session.set_status(r.id, RegionStatus.VERIFIED)
    log = session.store.audit_log()
    assert [e["action"] for e in log] == ["genesis", "add", "recognised", "edit", "status"]
    assert {e["reviewer"] for e in log} == {"clerk1"}
    assert log[2]["detail"]["chars"] == 9 and (log[2]["engine"], log[2]["model"]) == ("ort", "m1")
    edit = log[3]
    assert (edit["text_before"], edit["text_after"], edit["machine_before"]) == (
        "Metformin",
        "Metformin XR",
        "Metformin",
    )
    assert (edit["status_before"], edit["status_after"]) == ("read", "corrected")
    assert session.store.verify_audit().is_intact
    # the region row keeps model text, final text, who/when, engine and model
    saved = session.store.load_regions()[0]
    assert (saved.model_text, saved.text, saved.engine, saved.model, saved.updated_by) == (
        "Metformin",
        "Metformin XR",
        "ort",
        "m1",
        "clerk1",
    )


KILL_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {root!r})
    from desktop.core.history import AddRegion, SetText
    from desktop.core.session import ReviewSession
    from tests.desktop.core.conftest import make_result, rect
    s = ReviewSession.open({doc!r}, user="clerk9")
    add = AddRegion.new(0, rect(1, 2, 150, 40), region_id="a" * 32)
    s.do(add)
    s.begin_recognition(add.region_id)
    s.apply_recognition(add.region_id, make_result([[("HbA1c", (2, 3, 60, 38))]]), engine="e", model="m")
    s.do(SetText(add.region_id, text="HbA1c 6.9%"))
    other = s.add_region(0, rect(0, 100, 50, 150))
    s.remove_region(other.id)
    print("changed", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_kill_9_after_a_change_loses_nothing(image_doc: Path, private_data_dir: Path) -> None:
    # GIVEN a process that makes changes and is then killed without any cleanup
    script = KILL_SCRIPT.format(root=str(ROOT), doc=str(image_doc))
    env = {**os.environ, "XDG_DATA_HOME": str(private_data_dir)}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "changed" in proc.stdout
    # WHEN the document is opened again
    s = ReviewSession.open(image_doc)
    try:
        # THEN every change is there, including the undo history
        r = s.get("a" * 32)
        assert r is not None and r.text == "HbA1c 6.9%" and r.model_text == "HbA1c"
        assert r.status is RegionStatus.CORRECTED and r.updated_by == "clerk9"
        assert len(s) == 1
        assert s.history() == (["Add region", "Edit text"], 2)
        s.undo()
        assert get_region(s, "a" * 32).text == "HbA1c"
    finally:
        s.close()


def test_store_refuses_a_file_of_another_document(image_doc: Path, tmp_path: Path) -> None:
    s = ReviewSession.open(image_doc, store_dir=tmp_path)
    path = s.store.path
    s.close()
    with pytest.raises(StorageError, match="different document"):
        SessionStore.open_for_writing(path, "0" * 64, "x.png", 200)


def test_rotations_are_kept_and_a_version_1_file_is_upgraded(image_doc: Path) -> None:
    # GIVEN a review saved before regions had a rotation (schema 1), with one region
    s = ReviewSession.open(image_doc)
    old = s.add_region(0, rect(5, 5, 80, 30))
    path = s.store.path
    s.close()
    con = sqlite3.connect(path)
    con.execute("ALTER TABLE regions DROP COLUMN rotation")
    con.execute("PRAGMA user_version=1")
    con.commit()
    con.close()
    # WHEN it is opened, a turned page is recorded and a region is drawn on it
    s = ReviewSession.open(image_doc)
    assert get_region(s, old.id).rotation == 0
    s.set_page_rotation(0, 90)
    s.do(AddRegion.new(0, rect(10, 40, 40, 200), rotation=90))
    s.close()
    # THEN both survive reopening, and undo/redo of the add keeps the rotation
    s = ReviewSession.open(image_doc)
    try:
        assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        assert s.page_rotation(0) == 90 and s.page_rotation(1) == 0
        rid = next(r.id for r in s.regions() if r.id != old.id)
        assert get_region(s, rid).rotation == 90
        s.undo()
        assert s.get(rid) is None
        s.redo()
        assert get_region(s, rid).rotation == 90
        s.set_page_rotation(0, 360)
        assert s.page_rotation(0) == 0
        with pytest.raises(InputError):
            s.set_page_rotation(0, 45)
    finally:
        s.close()
