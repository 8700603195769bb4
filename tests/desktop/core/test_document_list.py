"""What a drop holds and the session's document list, without a screen."""

from __future__ import annotations

from pathlib import Path

from desktop.core.document_list import DocumentEntry, DocumentList, gather_documents


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_a_folder_gives_its_scans_in_reading_order_then_its_subfolders_never_hidden_ones(tmp_path: Path) -> None:
    # GIVEN a scanner's folder: numbered pages, a subfolder, hidden files and folders, stray files
    for name in ("p10.PDF", "p2.tif", "p1.jpeg", "sub/a.png", ".cache/p3.png", "._p4.png", "notes.docx"):
        _touch(tmp_path / "ward" / name)
    single = _touch(tmp_path / "extra.JPG")
    # WHEN it is dropped with a file, the file again and a path that is gone
    got = gather_documents([single, tmp_path / "ward", single, tmp_path / "gone.pdf"])
    # THEN scans come in the order given, numbers by value, each once; the rest is named
    ward = tmp_path / "ward"
    assert got.files == (single, ward / "p1.jpeg", ward / "p2.tif", ward / "p10.PDF", ward / "sub" / "a.png")
    assert got.unsupported == (ward / "notes.docx", tmp_path / "gone.pdf")
    assert got.describe_skipped().startswith("Skipped 2 files that cannot be opened as a scanned note: notes.docx")


def test_the_list_keeps_one_entry_a_file_and_steps_without_wrapping(tmp_path: Path) -> None:
    a, b = _touch(tmp_path / "a.pdf"), _touch(tmp_path / "b.png")
    docs = DocumentList()
    assert docs.add([a, b]) == [0, 1]
    assert docs.add([tmp_path / "." / "b.png"]) == [1]  # the same file however it is spelt
    assert docs.step(1) == 0 and docs.step(-1) == 1  # nothing open: the first, or the last
    docs.current = 0
    assert docs.step(1) == 1 and docs.step(-1) is None and docs.step(1, start=1) is None


def test_an_entry_says_what_is_known_of_it() -> None:
    entry = DocumentEntry(Path("note.pdf"))
    assert entry.describe() == "Not opened yet"
    entry.pages, entry.regions, entry.reviewed = 3, 12, 5
    assert entry.describe() == "3 pages · 12 regions, 5 reviewed"
    entry.error = "note.pdf is not a readable PDF."
    assert entry.describe() == "Could not open: note.pdf is not a readable PDF."
