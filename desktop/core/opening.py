"""Opening a document's review so that nothing is lost quietly: locked, salvaged, or read-only, and said so.

``open_store`` finds the review (:mod:`desktop.core.placement`), takes its lock (one writer at a
time; a second window gets a read-only copy), salvages a damaged file (:mod:`desktop.core.salvage`),
and falls back to read-only when NoteLasso's review folder cannot be written. What the reviewer must
be told comes back as plain sentences without patient text.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from desktop.core.placement import Placement, locate, reviews_dir
from desktop.core.salvage import salvage
from desktop.core.session_lock import SessionLock
from desktop.core.sqlite_files import copy_database, snapshot
from desktop.core.storage import DamagedSessionError, SessionStore, StorageError, sha256_file

log = logging.getLogger(__name__)

__all__ = ["Opening", "open_store"]


@dataclass(frozen=True, slots=True)
class Opening:
    """How a review was opened: ``read_only``, and ``notices`` the reviewer must read (no patient text)."""

    read_only: bool = False
    notices: tuple[str, ...] = ()


def _can_write(folder: Path) -> bool:
    """Whether a file can be made in ``folder`` (creating it if needed); tried, as permissions can mislead."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}-{threading.get_ident()}"  # one per thread: a batch opens many
        probe.touch()
        probe.unlink()
    except OSError:
        return False
    return True


def open_store(
    document_path: Path, *, store_dir: Path | None = None, dpi: int = 200, user: str | None = None
) -> tuple[SessionStore, Opening]:
    """Open the review of ``document_path``: takes the path, an optional store folder, the dpi for a new
    review and the reviewer's name (shown to a second window); returns the store (read-only, or locked for
    writing) and what the reviewer must be told.

    Raises StorageError when there is no review to show and none can be started.
    """
    document_path = Path(document_path)
    doc_hash = sha256_file(document_path)
    folder = reviews_dir(store_dir)
    place = locate(document_path, doc_hash, folder)
    if not _can_write(folder):
        return _read_only_folder(place, doc_hash, folder)
    try:
        lock = SessionLock.acquire(place.path, user)
    except OSError:
        return _read_only_folder(place, doc_hash, folder)
    if lock is None:
        holder = SessionLock.holder(place.path)
        store = SessionStore.open_read_only(
            place.path, doc_hash, "it is being edited in another NoteLasso window.", may_touch_folder=True
        )
        by = f" ({holder})" if holder else ""
        told = (
            f"This review is open in another NoteLasso window{by}, so this window shows it read-only. "
            "To edit here, close it there and open the document again."
        )
        return store, Opening(read_only=True, notices=(told,))
    try:
        store, notices = _open_locked(place, doc_hash, document_path, dpi, lock, user or "")
    except BaseException:
        lock.release()
        raise
    return store, Opening(notices=notices)


def _open_locked(
    place: Placement, doc_hash: str, document_path: Path, dpi: int, lock: SessionLock, reviewer: str
) -> tuple[SessionStore, tuple[str, ...]]:
    notices: tuple[str, ...] = ()
    if place.seed is not None and not place.path.exists():
        notices += _seed(place)
    try:
        store = SessionStore.open_for_writing(
            place.path, doc_hash, document_path.name, dpi, lock=lock, reviewer=reviewer
        )
    except DamagedSessionError:
        notices += salvage(place.path, doc_hash)
        store = SessionStore.open_for_writing(
            place.path, doc_hash, document_path.name, dpi, lock=lock, reviewer=reviewer
        )
    try:
        store.record_document(document_path)
    except StorageError:
        store.close()
        raise
    if place.how == "moved":
        log.info("review followed its moved or renamed document")
    return store, notices


def _seed(place: Placement) -> tuple[str, ...]:
    """Start the review of a copy, or of a document reviewed by an earlier version, from that review."""
    assert place.seed is not None
    is_copy = place.how == "copied"
    try:
        with contextlib.closing(snapshot(place.seed, may_touch_folder=is_copy)) as con:
            copy_database(con, place.path)
    except (OSError, sqlite3.Error):
        log.warning("could not copy the earlier review (%s)", place.how)
        return ("An earlier review of this document was found but could not be read; this review starts empty.",)
    if is_copy and place.other is not None:
        return (
            (
                f"This file is a copy of {place.other.name} in {place.other.parent}. Its review started from "
                "that file's review and is saved separately from now on."
            ),
        )
    return (
        (
            "The review saved beside this document by an earlier NoteLasso was copied into NoteLasso's own "
            f"folder; changes are saved there. The old file ({place.seed.name}) was left as it was."
        ),
    )


def _read_only_folder(place: Placement, doc_hash: str, folder: Path) -> tuple[SessionStore, Opening]:
    """NoteLasso's review folder cannot be written: show the review read-only, or say why there is none."""
    source = place.path if place.path.exists() else place.seed
    if source is None:
        raise StorageError(
            "NoteLasso cannot start a review of this document: its review folder cannot be written "
            "(permissions or a read-only drive).",
            hint=str(folder),
        )
    store = SessionStore.open_read_only(
        source, doc_hash, "NoteLasso's review folder cannot be written.", may_touch_folder=False
    )
    told = (
        f"NoteLasso's review folder ({folder}) cannot be written, so this review is shown read-only "
        "and changes cannot be saved. Ask for the folder to be made writable."
    )
    return store, Opening(read_only=True, notices=(told,))
