"""Autosave and audit for one review session: one SQLite file per document.

Where the file lives and how it is opened (locked, read-only, salvaged) is decided in
:mod:`desktop.core.opening` (decision 012); this module is the file itself.

Every change is one transaction (WAL, synchronous=FULL), so a crash or kill -9 after a change
returns loses nothing. Any SQLite failure leaves here as a :class:`StorageError` that says, in words
staff can act on, whether the disk is full, the folder cannot be written or the file is damaged.
Every change is also appended to the hash-chained audit trail (:mod:`desktop.core.audit`, decision 013)
in the same transaction; the older ``audit`` table is kept as it was and no longer written. Rows that
cannot be read are moved to the ``set_aside`` table rather than dropped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.core.audit import (
    CHAIN_TABLE,
    Verdict,
    append_entry,
    current_user,
    ensure_genesis,
    read_chain,
    region_change,
    verify_rows,
)
from desktop.core.regions import Region, utc_now
from desktop.core.session_lock import SessionLock
from desktop.core.sqlite_files import (
    copy_database,
    create_private,
    describe,
    fsync_folder,
    is_damage,
    quick_check,
    snapshot,
    wal_path,
)
from inference.errors import ExitCode, InputError, NoteLassoError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 4
LAST_GOOD_SUFFIX = ".lastgood"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS regions (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    page INTEGER NOT NULL,
    polygon TEXT NOT NULL,
    rotation INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    model_text TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    confidences TEXT NOT NULL DEFAULT '[]',
    words TEXT NOT NULL DEFAULT '[]',
    engine TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    updated_by TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    rank REAL
);
CREATE INDEX IF NOT EXISTS regions_page ON regions(page);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    region_id TEXT,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS history (seq INTEGER PRIMARY KEY, op TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS set_aside (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    reason TEXT NOT NULL,
    data TEXT NOT NULL
);
"""
_REGION_COLUMNS = (
    "id",
    "page",
    "polygon",
    "rotation",
    "status",
    "model_text",
    "text",
    "confidences",
    "words",
    "engine",
    "model",
    "updated_by",
    "updated_at",
    "error",
    "rank",
)


class StorageError(NoteLassoError):
    """The session file cannot be created, read or written."""

    exit_code = ExitCode.STORAGE


class DamagedSessionError(StorageError):
    """The session file's contents are damaged; the caller keeps it and salvages what it can."""


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row that could not be read: its table, its key and why (no contents: those may be patient text)."""

    source: str
    key: str
    reason: str


@dataclass(frozen=True, slots=True)
class SavedHistory:
    """The undo history as stored: readable operations, the pointer, and what was unreadable."""

    ops: list[dict[str, Any]]
    pointer: int
    bad_from: int | None  # index of the first unreadable step (it and later steps are unusable)
    pointer_unreadable: bool


def app_data_dir() -> Path:
    """NoteLasso's own folder in the user's data dir (``$XDG_DATA_HOME/notelasso``, else ~/.local/share)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "notelasso"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """The SHA-256 of a file's bytes, hex. Raises StorageError when it cannot be read."""
    h = hashlib.sha256()
    try:
        with Path(path).open("rb") as fh:
            while block := fh.read(chunk):
                h.update(block)
    except OSError as exc:
        raise StorageError(f"{Path(path).name} cannot be read (permission or disk error).") from exc
    return h.hexdigest()


def create_schema(con: sqlite3.Connection) -> None:
    """Create the tables that are missing (statement by statement: executescript() would COMMIT early)."""
    for statement in filter(str.strip, _SCHEMA.split(";")):
        con.execute(statement)
    con.execute(CHAIN_TABLE)


def last_good_path(path: Path) -> Path:
    """Where the copy of a review taken when it was last opened or closed in good health is kept."""
    return path.with_name(path.name + LAST_GOOD_SUFFIX)


def _storage_error(exc: BaseException, doing: str, path: Path | None = None) -> StorageError:
    cls = DamagedSessionError if is_damage(exc) else StorageError
    return cls(describe(exc, doing), hint=str(path) if path is not None else None)


class SessionStore:
    """One SQLite session file. Thread-safe; use :meth:`transaction` to group writes.

    Open one with :meth:`open_for_writing` (holding the review's lock) or :meth:`open_read_only`
    (a copy in memory; every write is refused with ``read_only_reason``).
    """

    def __init__(
        self,
        path: Path,
        con: sqlite3.Connection,
        doc_hash: str,
        *,
        read_only_reason: str = "",
        lock: SessionLock | None = None,
    ) -> None:
        self.path = path
        self.doc_hash = doc_hash
        self.read_only_reason = read_only_reason
        self._con = con
        self._lock = threading.RLock()
        self._depth = 0
        self._file_lock = lock

    @property
    def read_only(self) -> bool:
        return bool(self.read_only_reason)

    @classmethod
    def open_for_writing(
        cls,
        path: Path,
        doc_hash: str,
        document_name: str,
        dpi: int,
        *,
        lock: SessionLock | None = None,
        reviewer: str = "",
    ) -> SessionStore:
        """Open (creating it if needed) the review file ``path``; ``lock`` is released on close. A review
        without an audit chain gets its genesis entry, by ``reviewer`` (default: the OS account).

        Raises DamagedSessionError when the file is damaged (SQLite's check fails, or it is empty),
        StorageError for anything else (no write access, full disk, a newer NoteLasso's file).
        """
        wal = wal_path(path)
        if path.exists() and path.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size):
            raise DamagedSessionError("The review file is empty (0 bytes).", hint=str(path))
        try:
            if not path.exists():
                _create(path)
            con = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=5)
        except (OSError, sqlite3.Error) as exc:
            raise _storage_error(exc, "The review cannot be created", path) from exc
        store = cls(path, con, doc_hash, lock=lock)
        try:
            try:
                con.execute("PRAGMA journal_mode=WAL")
                con.execute("PRAGMA synchronous=FULL")
                if not quick_check(con):
                    raise DamagedSessionError("SQLite's check of the review file failed.", hint=str(path))
            except sqlite3.Error as exc:
                raise _storage_error(exc, "The review cannot be opened", path) from exc
            store._prepare(document_name, dpi, reviewer=reviewer)
        except BaseException:
            store._con.close()  # the caller still holds the lock
            raise
        return store

    @classmethod
    def open_read_only(cls, path: Path, doc_hash: str, reason: str, *, may_touch_folder: bool) -> SessionStore:
        """The review at ``path`` copied into memory; writes raise StorageError naming ``reason``.

        ``may_touch_folder`` False: nothing is written beside the file (see ``sqlite_files.snapshot``).
        """
        try:
            con = snapshot(path, may_touch_folder=may_touch_folder)
            con.isolation_level = None
            if not quick_check(con):
                raise DamagedSessionError("SQLite's check of the review file failed.", hint=str(path))
        except sqlite3.Error as exc:
            raise _storage_error(exc, "The review cannot be read", path) from exc
        store = cls(path, con, doc_hash)
        store._prepare("", 0, check_hash=False)
        store.read_only_reason = reason
        return store

    def _prepare(self, document_name: str, dpi: int, *, check_hash: bool = True, reviewer: str = "") -> None:
        """Check the version, bring the schema up to date and fill in missing meta values."""
        try:
            version = self._con.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error as exc:
            raise _storage_error(exc, "The review cannot be opened", self.path) from exc
        if version > SCHEMA_VERSION:
            raise StorageError("This review was saved by a newer NoteLasso; update NoteLasso to open it.")
        with self.transaction():
            create_schema(self._con)
            self._migrate(version)
            self._con.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self._set_default("doc_sha256", self.doc_hash)
            self._set_default("document_name", document_name)
            self._set_default("dpi", str(dpi))
            self._set_default("created_at", utc_now())
            self._set_default("history_pointer", "0")
            if ensure_genesis(self._con, doc_sha256=self.doc_hash, reviewer=reviewer or current_user()):
                log.info("audit trail started with a genesis entry")
        stored = self.get_meta("doc_sha256")
        if check_hash and stored != self.doc_hash:
            raise StorageError("The review session file belongs to a different document.", hint=str(self.path))

    def _migrate(self, version: int) -> None:
        """Upgrade older schemas step by step. ``version`` 0 is a new file (already current)."""
        columns = {row[1] for row in self._con.execute("PRAGMA table_info(regions)")}
        if version == 1 and "rotation" not in columns:  # 2: regions remember the page turn they were drawn under
            self._con.execute("ALTER TABLE regions ADD COLUMN rotation INTEGER NOT NULL DEFAULT 0")
        # 3: the audit_chain table (created by create_schema; its genesis entry is written by _prepare)
        if "rank" not in columns:  # 4: the reviewer's order of a page's regions (NULL: reading order)
            self._con.execute("ALTER TABLE regions ADD COLUMN rank REAL")

    # -- transactions ----------------------------------------------------------------------
    @property
    def transaction_depth(self) -> int:
        """How many :meth:`transaction` blocks are open, nested (0: none). Read it inside one to learn
        whether it is the outermost (1), whose end commits."""
        return self._depth

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT; nested uses join the outer transaction.

        Raises StorageError (DamagedSessionError for damage) for any SQLite failure, after rolling
        back: what was committed before stays; a read-only store refuses before anything starts.
        """
        with self._lock:
            if self.read_only_reason:
                raise StorageError(f"This review is open read-only: {self.read_only_reason} Nothing was changed.")
            outer = self._depth == 0
            if outer:
                try:
                    self._con.execute("BEGIN IMMEDIATE")
                except sqlite3.Error as exc:
                    raise _storage_error(exc, "The change could not be saved", self.path) from exc
            self._depth += 1
            try:
                yield self._con
            except BaseException as exc:
                self._depth -= 1
                if outer:
                    self._rollback()
                if isinstance(exc, sqlite3.Error):
                    raise _storage_error(exc, "The change could not be saved", self.path) from exc
                raise
            self._depth -= 1
            if outer:
                try:
                    self._con.execute("COMMIT")
                except sqlite3.Error as exc:
                    self._rollback()
                    raise _storage_error(exc, "The change could not be saved", self.path) from exc

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already (a full disk)
            self._con.execute("ROLLBACK")

    # -- meta ------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        with self._lock:
            row = self._con.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as con:
            con.execute(
                "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, value),
            )

    def delete_meta(self, key: str) -> None:
        with self.transaction() as con:
            con.execute("DELETE FROM meta WHERE key=?", (key,))

    def _set_default(self, key: str, value: str) -> None:
        self._con.execute("INSERT OR IGNORE INTO meta(key, value) VALUES(?, ?)", (key, value))

    # -- regions ---------------------------------------------------------------------------
    def count_regions(self) -> int:
        with self._lock:
            return int(self._con.execute("SELECT COUNT(*) FROM regions").fetchone()[0])

    def load_regions(self) -> list[Region]:
        """The regions that can be read, in the order they were drawn (see :meth:`read_regions`)."""
        return self.read_regions()[0]

    def read_regions(self) -> tuple[list[Region], list[BadRow]]:
        """Every readable region, and the rows that could not be read (left where they are)."""
        with self._lock:
            rows = self._con.execute(f"SELECT {', '.join(_REGION_COLUMNS)} FROM regions ORDER BY seq").fetchall()
        out: list[Region] = []
        bad: list[BadRow] = []
        for row in rows:
            d = dict(zip(_REGION_COLUMNS, row, strict=True))
            try:
                for key in ("polygon", "confidences", "words"):
                    d[key] = json.loads(d[key])
                out.append(Region.from_dict(d))
            except (InputError, KeyError, TypeError, ValueError) as exc:
                bad.append(BadRow("regions", str(d["id"]), f"unreadable {type(exc).__name__}"))
        return out, bad

    def set_aside(self, rows: list[BadRow]) -> int:
        """Move ``rows`` (regions by id, history by seq, meta by key) into ``set_aside``, whole; returns how
        many moved. The file keeps them for support; the review goes on without them."""
        keys = {"regions": "id", "history": "seq", "meta": "key"}
        moved = 0
        with self.transaction() as con:
            for row in rows:
                column = keys[row.source]
                cur = con.execute(f"SELECT * FROM {row.source} WHERE {column}=?", (row.key,))
                names = [c[0] for c in cur.description]
                for found in cur.fetchall():
                    data = json.dumps(dict(zip(names, found, strict=True)), default=str)
                    con.execute(
                        "INSERT INTO set_aside(at, source, key, reason, data) VALUES(?, ?, ?, ?, ?)",
                        (utc_now(), row.source, row.key, row.reason, data),
                    )
                    con.execute(f"DELETE FROM {row.source} WHERE {column}=?", (row.key,))
                    moved += 1
        return moved

    def save_region(self, region: Region) -> None:
        d = region.to_dict()
        with self.transaction() as con:
            con.execute(
                "INSERT INTO regions(id, seq, page, polygon, rotation, status, model_text, text, confidences, words,"
                " engine, model, updated_by, updated_at, error, rank) VALUES(?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM"
                " regions), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET page=excluded.page,"
                " polygon=excluded.polygon, rotation=excluded.rotation, status=excluded.status,"
                " model_text=excluded.model_text,"
                " text=excluded.text, confidences=excluded.confidences, words=excluded.words,"
                " engine=excluded.engine, model=excluded.model, updated_by=excluded.updated_by,"
                " updated_at=excluded.updated_at, error=excluded.error, rank=excluded.rank",
                (
                    d["id"],
                    d["page"],
                    json.dumps(d["polygon"]),
                    d["rotation"],
                    d["status"],
                    d["model_text"],
                    d["text"],
                    json.dumps(d["confidences"]),
                    json.dumps(d["words"]),
                    d["engine"],
                    d["model"],
                    d["updated_by"],
                    d["updated_at"],
                    d["error"],
                    d["rank"],
                ),
            )

    def delete_region(self, region_id: str) -> None:
        with self.transaction() as con:
            con.execute("DELETE FROM regions WHERE id=?", (region_id,))

    # -- audit ---------------------------------------------------------------------------
    def audit(
        self,
        user: str,
        action: str,
        region_id: str | None = None,
        *,
        before: Region | None = None,
        after: Region | None = None,
        **detail: Any,
    ) -> str:
        """Append who did what to the audit chain: the region ``before`` and ``after`` the change (text,
        status, outline, engine, model, machine reading) and ``detail`` (counts). Returns the new head."""
        change = region_change(before, after) if region_id is not None else None
        with self.transaction() as con:
            return append_entry(con, reviewer=user, action=action, region_id=region_id, change=change, detail=detail)

    def audit_log(self) -> list[dict[str, Any]]:
        """Every audit entry, oldest first, as stored (fields of decision 013 plus ``prev`` and ``hash``)."""
        with self._lock:
            return [row.as_dict() for row in read_chain(self._con)]

    def verify_audit(self) -> Verdict:
        """Check the audit chain from its genesis entry to its head."""
        with self._lock:
            return verify_rows(self._con)

    # -- undo history ----------------------------------------------------------------------
    def load_history(self) -> tuple[list[dict[str, Any]], int]:
        """The readable undo steps and the pointer (see :meth:`read_history`)."""
        saved = self.read_history()
        return saved.ops, saved.pointer

    def read_history(self) -> SavedHistory:
        """The undo history up to its first unreadable step, and the pointer clamped to it."""
        with self._lock:
            rows = self._con.execute("SELECT seq, op FROM history ORDER BY seq").fetchall()
            raw_pointer = self.get_meta("history_pointer", "0") or "0"
        ops: list[dict[str, Any]] = []
        bad_from: int | None = None
        for i, (seq, op) in enumerate(rows):
            try:
                value = json.loads(op)
                if seq != i or not isinstance(value, dict):
                    raise ValueError("not a step")
            except (TypeError, ValueError):
                bad_from = i
                break
            ops.append(value)
        try:
            pointer, unreadable = int(raw_pointer), False
        except ValueError:
            pointer, unreadable = len(ops), True  # the regions hold every step done
        return SavedHistory(ops, max(0, min(pointer, len(ops))), bad_from, unreadable)

    def set_aside_history(self, from_index: int, reason: str) -> None:
        """Move the undo steps from ``from_index`` on into ``set_aside`` (a later step may depend on an
        earlier one, so nothing after an unreadable step is kept in the history)."""
        with self._lock:
            seqs = [r[0] for r in self._con.execute("SELECT seq FROM history WHERE seq>=?", (from_index,))]
        self.set_aside([BadRow("history", str(seq), reason) for seq in seqs])

    def save_history(self, ops: list[dict[str, Any]], pointer: int, *, changed_from: int = 0) -> None:
        """Rewrite history entries from index ``changed_from`` on, and the pointer."""
        with self.transaction() as con:
            con.execute("DELETE FROM history WHERE seq>=?", (changed_from,))
            con.executemany(
                "INSERT INTO history(seq, op) VALUES(?, ?)",
                [(i, json.dumps(op)) for i, op in enumerate(ops) if i >= changed_from],
            )
            con.execute(
                "INSERT INTO meta(key, value) VALUES('history_pointer', ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (str(pointer),),
            )

    # -- the file as a whole -------------------------------------------------------------
    def record_document(self, document_path: Path) -> None:
        """Remember which file this review belongs to (how a copy is told from a moved file)."""
        self.set_meta("document_path", str(Path(document_path).resolve()))
        self.set_meta("document_name", Path(document_path).name)

    def save_last_good(self) -> bool:
        """Copy the review, when SQLite's check passes, to ``<file>.lastgood`` (what a damaged file is
        salvaged from). Returns whether it was written; a failure is logged, never raised."""
        if self.read_only:
            return False
        with self._lock:
            try:
                if not quick_check(self._con):
                    log.warning("review failed its check; the last good copy is kept as it was")
                    return False
                copy_database(self._con, last_good_path(self.path))
            except (OSError, sqlite3.Error) as exc:
                log.warning("last good copy not written (%s)", type(exc).__name__)
                return False
        return True

    def close(self) -> None:
        """Checkpoint, refresh the last good copy, close the file and release its lock."""
        with self._lock:
            if self._con is None:
                return
            if not self.read_only:
                with contextlib.suppress(sqlite3.Error):
                    self._con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self.save_last_good()
            self._con.close()
            self._con = None  # type: ignore[assignment]
            if self._file_lock is not None:
                self._file_lock.release()
                self._file_lock = None


def _create(path: Path) -> None:
    """A new, empty review file, put in place whole: a file that is there but empty is always damage."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".new")
    tmp.unlink(missing_ok=True)
    create_private(tmp)  # 0600 from the start; SQLite gives its -wal and -shm files the same mode
    with contextlib.closing(sqlite3.connect(tmp, isolation_level=None)) as con:
        con.execute("BEGIN")
        create_schema(con)
        con.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        con.execute("COMMIT")
    with tmp.open("rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_folder(path.parent)


__all__ = [
    "LAST_GOOD_SUFFIX",
    "SCHEMA_VERSION",
    "BadRow",
    "DamagedSessionError",
    "SavedHistory",
    "SessionStore",
    "StorageError",
    "app_data_dir",
    "create_schema",
    "last_good_path",
    "sha256_file",
]
