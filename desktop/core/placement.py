"""Where a document's review lives, and whether a file is the reviewed one, a copy of it, or it moved.

Reviews live in NoteLasso's own folder (``<app data>/notelasso/reviews``, or ``--store-dir``), never
beside the document (decision 012): a shipped sample, a read-only share or a colleague's folder is
never written to. A review file is named ``<sha256 of the document>-<key>.sqlite`` and records the
path of the document it belongs to (``meta.document_path``). Opening a file of that content:

1. a review that records this path: it is this document's;
2. a review recording a path that no longer holds this content: the document moved or was renamed,
   and its review follows it;
3. a review recording a path that still holds this content: this file is a COPY; it gets its own
   review, started from a copy of that one, and the reviewer is told;
4. a review saved beside the document by an earlier NoteLasso: copied into the folder (the old file
   is left as it was), and the reviewer is told;
5. else a new review.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from pathlib import Path

from desktop.core.sqlite_files import read_meta
from desktop.core.storage import StorageError, app_data_dir, sha256_file

__all__ = ["LEGACY_SUFFIX", "Placement", "locate", "reviews_dir"]

LEGACY_SUFFIX = ".notelasso.sqlite"  # reviews saved beside their document by earlier versions
MAX_SCAN = 500  # files inspected in a document's folder when looking for an earlier review


@dataclass(frozen=True, slots=True)
class Placement:
    """The review file to open for a document, and how it was found.

    ``how``: "found", "moved", "copied" (``seed`` is the other copy's review, ``other`` that document),
    "imported" (``seed`` is the review an earlier version left) or "new".
    """

    path: Path
    how: str
    seed: Path | None = None
    other: Path | None = None


def reviews_dir(store_dir: Path | None = None) -> Path:
    """The folder reviews live in: ``store_dir`` when given, else ``<app data>/notelasso/reviews``."""
    return Path(store_dir) if store_dir is not None else app_data_dir() / "reviews"


def _holds(document: Path, doc_hash: str) -> bool:
    """Whether ``document`` still exists with this content (unreadable counts as yes: never take its review)."""
    if not document.is_file():
        return False
    try:
        return sha256_file(document) == doc_hash
    except StorageError:
        return True


def _free_name(folder: Path, doc_hash: str, document: Path) -> Path:
    key = hashlib.sha256(str(document).encode("utf-8")).hexdigest()[:12]
    path, n = folder / f"{doc_hash}-{key}.sqlite", 1
    while path.exists():
        n += 1
        path = folder / f"{doc_hash}-{key}-{n}.sqlite"
    return path


def locate(document_path: Path, doc_hash: str, folder: Path) -> Placement:
    """Where the review of the document at ``document_path`` (content ``doc_hash``) is, or will be."""
    document = Path(document_path).resolve()
    moved: list[Path] = []
    copies: list[tuple[Path, Path]] = []
    unreadable: list[Path] = []
    candidates = sorted(folder.glob(f"{doc_hash}-*.sqlite")) if folder.is_dir() else []
    for candidate in candidates:
        recorded = read_meta(candidate, "document_path")
        if recorded is None:
            unreadable.append(candidate)
        elif Path(recorded) == document:
            return Placement(candidate, "found")
        elif _holds(Path(recorded), doc_hash):
            copies.append((candidate, Path(recorded)))
        else:
            moved.append(candidate)
    if moved:
        return Placement(moved[0], "moved")
    if unreadable:  # damaged (salvaged when opened): of this content, so most likely this document's
        return Placement(unreadable[0], "found")
    new = _free_name(folder, doc_hash, document)
    if copies:
        return Placement(new, "copied", seed=copies[0][0], other=copies[0][1])
    legacy = _earlier_review(document, doc_hash, folder)
    return Placement(new, "imported", seed=legacy) if legacy is not None else Placement(new, "new")


def _earlier_review(document: Path, doc_hash: str, folder: Path) -> Path | None:
    """A review of this content left by an earlier NoteLasso: beside the document (under this or an
    older name), in the old central folder, where its pointer file says, or in the store folder."""
    beside = document.with_name(document.name + LEGACY_SUFFIX)
    places = [beside]
    if document.parent.is_dir():
        others = sorted(p for p in document.parent.glob("*" + LEGACY_SUFFIX) if p != beside)
        places += others[:MAX_SCAN]
    old_central = app_data_dir() / "sessions"
    places += [old_central / f"{doc_hash}.sqlite", folder / f"{doc_hash}.sqlite"]
    with contextlib.suppress(OSError, ValueError):
        places.append(Path((old_central / f"{doc_hash}.where").read_text(encoding="utf-8").strip()))
    for place in places:
        if read_meta(place, "doc_sha256", may_touch_folder=False) == doc_hash:
            return place
    return None
