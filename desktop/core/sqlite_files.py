"""SQLite files as files: read without writing, copy whole, tell damage from a full disk or a locked folder.

Everything here works on a path; nothing knows what a review holds. The words for staff come from
:func:`describe` and never include the database's contents.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

__all__ = [
    "copy_database",
    "create_private",
    "describe",
    "fsync_folder",
    "is_damage",
    "is_full",
    "is_not_writable",
    "open_uri",
    "quick_check",
    "read_meta",
    "snapshot",
    "wal_path",
]

_DAMAGE_CODES = {"SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_CORRUPT_INDEX", "SQLITE_CORRUPT_SEQUENCE"}
_DAMAGE_WORDS = ("malformed", "not a database", "corrupt", "disk image")
_FULL_WORDS = ("database or disk is full", "disk full", "no space")
_READ_ONLY_WORDS = ("readonly", "read-only", "unable to open database file", "permission", "access permission")


def wal_path(path: Path) -> Path:
    return Path(str(path) + "-wal")


def open_uri(path: Path, **params: str) -> sqlite3.Connection:
    """Connect through a ``file:`` URI with ``params`` (``mode="ro"``, ``immutable="1"``)."""
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?{query}", uri=True, timeout=2, check_same_thread=False)


def _error_name(exc: BaseException) -> str:
    return str(getattr(exc, "sqlite_errorname", "") or "")


def is_damage(exc: BaseException) -> bool:
    """True when ``exc`` says the file's contents are damaged (not a permission or space problem)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    name, text = _error_name(exc), str(exc).lower()
    return name in _DAMAGE_CODES or (not name and any(w in text for w in _DAMAGE_WORDS))


def is_full(exc: BaseException) -> bool:
    text = str(exc).lower()
    return _error_name(exc) == "SQLITE_FULL" or any(w in text for w in _FULL_WORDS)


def is_not_writable(exc: BaseException) -> bool:
    name, text = _error_name(exc), str(exc).lower()
    return name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")) or any(
        w in text for w in _READ_ONLY_WORDS
    )


def describe(exc: BaseException, doing: str = "The change could not be saved") -> str:
    """Words for staff about a failed SQLite or file operation: full disk, no write access, in use, or damage."""
    if is_full(exc):
        return f"{doing}: the disk is full. Free some space, then try again; earlier changes are safe."
    if isinstance(exc, PermissionError) or is_not_writable(exc):
        return f"{doing}: the review folder cannot be written (permissions or a read-only drive)."
    if "locked" in str(exc).lower() or _error_name(exc).startswith("SQLITE_BUSY"):
        return f"{doing}: the review is busy in another program. Try again in a moment."
    if is_damage(exc):
        return f"{doing}: the review file is damaged."
    return f"{doing} (a disk or file error)."


def quick_check(con: sqlite3.Connection) -> bool:
    """SQLite's own check of every page of the file (``PRAGMA quick_check``); False on any problem."""
    try:
        rows = con.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError:
        return False
    return rows == [("ok",)]


def snapshot(path: Path, *, may_touch_folder: bool) -> sqlite3.Connection:
    """The whole database at ``path`` copied into memory, its WAL included; the file is not changed.

    ``may_touch_folder`` False: nothing is written in the file's folder either (no ``-shm``): the file
    is read as immutable when it has no WAL, else it and its WAL are read from a private copy.
    Raises ``sqlite3.Error`` when it cannot be read.
    """
    memory = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    if may_touch_folder:
        try:
            with contextlib.closing(open_uri(path, mode="ro")) as src:
                src.backup(memory)
            return memory
        except sqlite3.OperationalError:
            pass  # a read-only folder without the -shm file: read it untouched below
    wal = wal_path(path)
    if not wal.exists() or wal.stat().st_size == 0:
        with contextlib.closing(open_uri(path, mode="ro", immutable="1")) as src:
            src.backup(memory)
        return memory
    with tempfile.TemporaryDirectory(prefix="notelasso-") as tmp:
        copy = Path(tmp) / "review.sqlite"
        shutil.copyfile(path, copy)
        shutil.copyfile(wal, wal_path(copy))
        with contextlib.closing(sqlite3.connect(copy)) as src:  # replays the WAL into the private copy
            src.backup(memory)
    return memory


def copy_database(src: sqlite3.Connection, dst: Path) -> None:
    """Write the database behind ``src`` to ``dst`` whole, atomically (a temporary file, fsync, rename)."""
    tmp = dst.with_name(dst.name + ".tmp")
    tmp.unlink(missing_ok=True)
    create_private(tmp)
    with contextlib.closing(sqlite3.connect(tmp)) as out:
        src.backup(out)
        out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file until it is opened
    with tmp.open("rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, dst)
    fsync_folder(dst.parent)


def create_private(path: Path) -> None:
    """Create ``path`` empty and readable by its owner only (0600), whatever the umask: reviews hold
    patient text. An empty file is a valid empty SQLite database."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    os.chmod(path, 0o600)


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX); a no-op where folders cannot be opened."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def read_meta(path: Path, key: str, *, may_touch_folder: bool = True) -> str | None:
    """One value of a review file's ``meta`` table, read without changing the file; None if unreadable.

    ``may_touch_folder`` False: nothing is written in the file's folder (see :func:`snapshot`).
    """
    if not Path(path).is_file():
        return None
    try:
        if not may_touch_folder:
            raise sqlite3.OperationalError("read it untouched")
        with contextlib.closing(open_uri(path, mode="ro")) as con:
            row = con.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    except sqlite3.Error:
        try:
            with contextlib.closing(snapshot(path, may_touch_folder=False)) as con:
                row = con.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        except sqlite3.Error:
            return None
    return str(row[0]) if row else None
