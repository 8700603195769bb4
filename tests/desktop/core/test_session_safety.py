"""A reviewer's work never quietly disappears: damaged, malformed, read-only, locked and full-disk sessions."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop.core.history import AddRegion, SetText
from desktop.core.session import ReviewSession
from desktop.core.storage import StorageError
from tests.desktop.core.conftest import SAMPLES, rect
from tests.desktop.core.unprivileged import run_where_permissions_hold


def reviewed(doc: Path, texts: tuple[str, ...] = ("kept one", "kept two"), **kwargs: object) -> tuple[Path, list[str]]:
    """Review ``doc``: one region per text, then close. Returns the session file and the region ids."""
    s = ReviewSession.open(doc, user="clerk1", **kwargs)  # type: ignore[arg-type]
    ids = []
    for i, text in enumerate(texts):
        add = AddRegion.new(0, rect(10, 10 + 40 * i, 200, 40 + 40 * i))
        s.do(add)
        s.do(SetText(add.region_id, text=text))
        ids.append(add.region_id)
    path = s.store.path
    s.close()
    return path, ids


def notices(s: ReviewSession) -> str:
    return " ".join(s.opening.notices)


# -- damaged files ---------------------------------------------------------------------------------------------


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(path.stat().st_size or 8192))


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _zero_bytes(path: Path) -> None:
    path.write_bytes(b"")


def _page_overwritten(path: Path, table: str = "regions") -> None:
    """Overwrite the root page of ``table`` with random bytes (a damaged disk block)."""
    con = sqlite3.connect(path)
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name=?", (table,)).fetchone()[0]
    con.close()
    with path.open("r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(os.urandom(page_size))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "random bytes": _random_bytes,
    "truncated": _truncated,
    "0 bytes": _zero_bytes,
    "a page overwritten": _page_overwritten,
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_file_is_kept_reported_and_salvaged(image_doc: Path, damage: str) -> None:
    # GIVEN a reviewed document whose session file is then damaged
    path, ids = reviewed(image_doc)
    DAMAGE[damage](path)
    damaged_bytes = path.read_bytes()
    # WHEN it is opened again
    s = ReviewSession.open(image_doc, user="clerk1")
    try:
        # THEN the reviewer is told, the damaged file is kept as it was, and the work is salvaged
        assert "damaged" in notices(s)
        kept = [p for p in path.parent.iterdir() if ".damaged-" in p.name and not p.name.endswith(("-wal", "-shm"))]
        assert len(kept) == 1 and kept[0].read_bytes() == damaged_bytes
        assert kept[0].name in notices(s)
        assert sorted(r.text for r in s.regions()) == ["kept one", "kept two"]
        assert {r.id for r in s.regions()} == set(ids)
        # AND the salvaged review takes new work
        s.set_text(ids[0], "after the repair")
    finally:
        s.close()
    again = ReviewSession.open(image_doc)
    try:
        assert again.opening.notices == ()
        assert {r.text for r in again.regions()} == {"after the repair", "kept two"}
    finally:
        again.close()


def test_salvage_from_the_damaged_file_keeps_edits_newer_than_the_last_good_copy(image_doc: Path) -> None:
    # GIVEN a review whose last good copy is older than its file, whose audit pages are then damaged
    path, ids = reviewed(image_doc)
    s = ReviewSession.open(image_doc)
    s.set_text(ids[0], "newer than the copy")
    s.store._con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    lastgood = Path(str(path) + ".lastgood")
    old_copy = lastgood.read_bytes()
    s.close()
    lastgood.write_bytes(old_copy)  # as if the sitting had ended in a crash
    _page_overwritten(path, "audit")
    # WHEN it is opened
    s = ReviewSession.open(image_doc)
    try:
        # THEN SQLite's recovery gives back the newer text
        assert "damaged" in notices(s)
        assert {r.text for r in s.regions()} == {"newer than the copy", "kept two"}
    finally:
        s.close()


# -- malformed rows --------------------------------------------------------------------------------------------

MALFORMED = {
    "bad polygon JSON": "UPDATE regions SET polygon='[[1,2],' WHERE id=:bad",
    "unknown status": "UPDATE regions SET status='approved-by-martians' WHERE id=:bad",
    "bad history JSON": "UPDATE history SET op='{not json' WHERE seq=2",
    "non-numeric history pointer": "UPDATE meta SET value='two' WHERE key='history_pointer'",
    "non-numeric dpi": "UPDATE meta SET value='high' WHERE key='dpi'",
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_row_is_set_aside_and_the_rest_loads(image_doc: Path, case: str) -> None:
    # GIVEN a review with one row made unreadable
    path, (bad, good) = reviewed(image_doc)
    con = sqlite3.connect(path)
    con.execute(MALFORMED[case], {"bad": bad})
    con.commit()
    con.close()
    # WHEN it is opened
    s = ReviewSession.open(image_doc)
    try:
        # THEN it opens with a message, the good region is there and the bad row is kept aside
        assert s.opening.notices, "the reviewer is told"
        assert s.get(good) is not None and s.get(good).text == "kept two"  # type: ignore[union-attr]
        aside = s.store._con.execute("SELECT source FROM set_aside").fetchall()
        assert aside, "the unreadable row is kept aside in the file"
        if case in ("bad polygon JSON", "unknown status"):
            assert s.get(bad) is None and aside == [("regions",)]
        else:
            assert s.get(bad) is not None
        assert "kept one" not in notices(s) and "kept two" not in notices(s)  # no patient text in messages
        s.do(SetText(good, text="still editable"))
        s.undo()
    finally:
        s.close()


# -- locked: two windows on one review -------------------------------------------------------------------------


def test_a_second_opener_gets_the_review_read_only(image_doc: Path) -> None:
    # GIVEN the review open for editing
    _path, (a, b) = reviewed(image_doc)
    first = ReviewSession.open(image_doc, user="clerk1")
    try:
        # WHEN a second window opens the same document
        second = ReviewSession.open(image_doc, user="clerk2")
        try:
            # THEN it is read-only and says so; its edits are refused before they reach the file
            assert second.is_read_only and not first.is_read_only
            assert "read-only" in notices(second) and "clerk1" in notices(second)
            with pytest.raises(StorageError, match="read-only"):
                second.do(SetText(a, text="second window"))
            assert second.get(a).text == "kept one"  # type: ignore[union-attr]
            first.do(SetText(b, text="first window"))
        finally:
            second.close()
        # AND once the second has gone, the first goes on alone; its history did not interleave
        first.undo()
        assert first.history() == (["Add region", "Edit text", "Add region", "Edit text", "Edit text"], 4)
    finally:
        first.close()
    third = ReviewSession.open(image_doc)
    assert not third.is_read_only and third.get(a).text == "kept one"  # type: ignore[union-attr]
    third.close()


# -- full disk -------------------------------------------------------------------------------------------------


def test_a_full_disk_is_reported_and_nothing_acknowledged_is_lost(image_doc: Path) -> None:
    # GIVEN a session whose disk fills up (SQLite may not grow the file past its current pages)
    s = ReviewSession.open(image_doc)
    pages = s.store._con.execute("PRAGMA page_count").fetchone()[0]
    s.store._con.execute(f"PRAGMA max_page_count={pages}")
    acknowledged: list[str] = []
    # WHEN edits go on until one cannot be saved
    with pytest.raises(StorageError) as caught:
        for i in range(2000):
            add = AddRegion.new(0, rect(i % 200, 10, 250, 60))
            s.do(add)
            s.do(SetText(add.region_id, text="x" * 200))
            acknowledged.append(add.region_id)
    # THEN the reviewer is told in plain words and the session goes on with what was saved
    assert "disk is full" in caught.value.user_message
    assert set(acknowledged) <= {r.id for r in s.regions()}
    s.close()
    again = ReviewSession.open(image_doc)
    try:
        assert set(acknowledged) <= {r.id for r in again.regions()}
        assert again.store._con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        again.close()


# -- read-only folders -----------------------------------------------------------------------------------------


def _world_readable_tree(tmp: Path) -> None:
    for p in [tmp, *tmp.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)


def test_a_review_left_beside_a_document_in_a_read_only_folder_still_opens(tmp_path: Path, image_doc: Path) -> None:
    # GIVEN a review saved beside its document by an earlier NoteLasso (WAL mode, so SQLite wants a -shm file),
    # in a folder that is now read-only
    base = Path(shutil.copytree(image_doc.parent, Path(os.environ.get("TMPDIR", "/tmp")) / f"ro-{os.getpid()}"))
    try:
        doc = base / image_doc.name
        legacy = doc.with_name(doc.name + ".notelasso.sqlite")
        work = ReviewSession.open(doc, store_dir=tmp_path / "make-legacy")
        work.add_region(0, rect(5, 5, 90, 40))
        work.close()
        shutil.copy(work.store.path, legacy)
        data = base / "data"
        data.mkdir()
        _world_readable_tree(base)
        base.chmod(0o555)
        data.chmod(0o777)
        # WHEN it is opened where the folder's mode holds
        proc = run_where_permissions_hold(
            f"""
            from desktop.core.session import ReviewSession
            s = ReviewSession.open({str(doc)!r})
            print(len(s), s.is_read_only, s.store.path.parent.parent.name, "|", " ".join(s.opening.notices))
            s.close()
            """,
            {"XDG_DATA_HOME": str(data)},
        )
        # THEN the earlier review is there, copied into the data folder, and the reviewer is told
        assert proc.returncode == 0, proc.stderr
        counts, _, told = proc.stdout.partition("|")
        assert counts.split() == ["1", "False", "notelasso"]
        assert "copied" in told
        assert sorted(p.name for p in base.iterdir()) == sorted(["data", doc.name, legacy.name])
    finally:
        base.chmod(0o755)
        shutil.rmtree(base)


def test_a_read_only_data_folder_opens_the_review_read_only_or_says_why_not(image_doc: Path) -> None:
    # GIVEN a store folder holding one review, then made read-only, and an empty one under a read-only parent
    base = Path(os.environ.get("TMPDIR", "/tmp")) / f"ro-store-{os.getpid()}"
    base.mkdir()
    try:
        docs = Path(shutil.copytree(image_doc.parent, base / "docs"))
        other = docs / "other.png"
        other.write_bytes(image_doc.read_bytes() + b"\0")
        store = base / "store"
        reviewed(docs / image_doc.name, store_dir=store)
        (base / "locked").mkdir()
        _world_readable_tree(base)
        store.chmod(0o555)
        (base / "locked").chmod(0o555)
        # WHEN each is opened where the modes hold
        proc = run_where_permissions_hold(
            f"""
            from pathlib import Path
            from desktop.core.session import ReviewSession
            from desktop.core.storage import StorageError
            s = ReviewSession.open(Path({str(docs / image_doc.name)!r}), store_dir=Path({str(store)!r}))
            print(len(s), s.is_read_only, " ".join(s.opening.notices))
            s.close()
            try:
                ReviewSession.open(Path({str(other)!r}), store_dir=Path({str(base / "locked" / "new")!r}))
            except StorageError as exc:
                print("refused:", exc.user_message)
            """,
            {},
        )
        # THEN the existing review is shown read-only, and the other is refused with the true reason
        assert proc.returncode == 0, proc.stderr
        shown, refused = proc.stdout.strip().splitlines()
        assert shown.startswith("2 True") and "read-only" in shown
        assert refused.startswith("refused:") and "cannot be written" in refused and "damaged" not in refused
    finally:
        for p in (base / "store", base / "locked"):
            if p.exists():
                p.chmod(0o755)
        shutil.rmtree(base)


# -- where reviews live ----------------------------------------------------------------------------------------


def test_a_shipped_sample_and_its_folder_are_never_written(private_data_dir: Path) -> None:
    sample = SAMPLES / "clinical-note.png"
    if not sample.exists():
        pytest.skip("no sample note in resources/samples")
    before = {p.name: p.stat().st_mtime_ns for p in SAMPLES.iterdir()}
    try:
        s = ReviewSession.open(sample)
        s.add_region(0, rect(5, 5, 90, 40))
        s.close()
        assert {p.name: p.stat().st_mtime_ns for p in SAMPLES.iterdir()} == before
        assert private_data_dir in s.store.path.parents
    finally:
        for p in SAMPLES.iterdir():
            if p.name not in before:
                p.unlink()


def test_a_copy_gets_its_own_review_started_from_the_original(image_doc: Path, tmp_path: Path) -> None:
    # GIVEN a reviewed document and a copy of it elsewhere
    _path, (a, _b) = reviewed(image_doc)
    copy = tmp_path / "elsewhere" / "copy.png"
    copy.parent.mkdir()
    shutil.copy(image_doc, copy)
    # WHEN both are open at once, and the copy is edited
    original = ReviewSession.open(image_doc)
    duplicate = ReviewSession.open(copy)
    try:
        # THEN the copy starts from the original's review, is told so, and edits apart from it
        assert not duplicate.is_read_only and "copy" in notices(duplicate)
        assert duplicate.get(a).text == "kept one"  # type: ignore[union-attr]
        duplicate.set_text(a, "only in the copy")
        original.set_text(a, "only in the original")
    finally:
        duplicate.close()
        original.close()
    for doc, text in ((image_doc, "only in the original"), (copy, "only in the copy")):
        s = ReviewSession.open(doc)
        assert s.get(a).text == text and s.opening.notices == ()  # type: ignore[union-attr]
        s.close()
