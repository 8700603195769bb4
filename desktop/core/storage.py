"""Autosave and audit for one review session: a SQLite file per document.

Where the file lives (first match wins):

1. ``store_dir`` given: ``<store_dir>/<sha256>.sqlite``.
2. ``<doc>.notelasso.sqlite`` beside the document, when it belongs to this document's content.
3. another ``*.notelasso.sqlite`` in the document's folder that belongs to it (the document was
   renamed): it is renamed to match, when the folder is writable.
4. the location last recorded for this content hash in the app data dir (the document moved).
5. ``<app data>/notelasso/sessions/<sha256>.sqlite`` (XDG_DATA_HOME, else ~/.local/share).
6. a new file beside the document if that folder is writable, else in the app data dir.

Every change is one transaction (WAL, synchronous=FULL), so a crash or kill -9 after a change
returns loses nothing. The audit table records who did what and when, never the text itself.
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
from pathlib import Path
from typing import Any

from desktop.core.regions import Region, utc_now
from inference.errors import ExitCode, NoteLassoError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
SIDECAR_SUFFIX = ".notelasso.sqlite"
MAX_SCAN = 500  # sidecars inspected when looking for a renamed document's session

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
    error TEXT NOT NULL DEFAULT ''
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
"""


class StorageError(NoteLassoError):
    """The session file cannot be created, read or written."""

    exit_code = ExitCode.STORAGE


def app_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "notelasso"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    try:
        with Path(path).open("rb") as fh:
            while block := fh.read(chunk):
                h.update(block)
    except OSError as exc:
        raise StorageError(f"{Path(path).name} cannot be read (permission or disk error).") from exc
    return h.hexdigest()


def sidecar_path(document_path: Path) -> Path:
    return document_path.with_name(document_path.name + SIDECAR_SUFFIX)


def _is_writable_dir(folder: Path) -> bool:
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def read_doc_hash(db_path: Path) -> str | None:
    """The document hash a session file belongs to, or None if it is not one of ours."""
    if not db_path.is_file():
        return None
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=2)
        try:
            row = con.execute("SELECT value FROM meta WHERE key='doc_sha256'").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _registry_path(doc_hash: str) -> Path:
    return app_data_dir() / "sessions" / f"{doc_hash}.where"


def locate(document_path: Path, doc_hash: str, store_dir: Path | None = None) -> Path:
    """Where this document's session file is, or should be created (see module docstring)."""
    if store_dir is not None:
        return Path(store_dir) / f"{doc_hash}.sqlite"
    beside = sidecar_path(document_path)
    if read_doc_hash(beside) == doc_hash:
        return beside
    folder = document_path.parent
    if folder.is_dir():
        for i, candidate in enumerate(sorted(folder.glob("*" + SIDECAR_SUFFIX))):
            if i >= MAX_SCAN:
                break
            if candidate != beside and read_doc_hash(candidate) == doc_hash:
                return _adopt_renamed(candidate, beside)
    reg = _registry_path(doc_hash)
    with contextlib.suppress(OSError, ValueError):
        recorded = Path(reg.read_text(encoding="utf-8").strip())
        if read_doc_hash(recorded) == doc_hash:
            return recorded
    central = app_data_dir() / "sessions" / f"{doc_hash}.sqlite"
    if central.exists() or beside.exists() or not _is_writable_dir(folder):
        return central
    return beside


def _adopt_renamed(old: Path, new: Path) -> Path:
    """The document was renamed: rename its session file (and WAL) to match, if we can."""
    if new.exists() or not _is_writable_dir(new.parent):
        return old
    try:
        # Fold any WAL into the main file first so one rename moves everything.
        con = sqlite3.connect(str(old), timeout=2)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        for suffix in ("-wal", "-shm"):
            Path(str(old) + suffix).unlink(missing_ok=True)
        os.replace(old, new)
    except (OSError, sqlite3.Error):
        log.warning("session file of a renamed document could not be renamed; using it in place")
        return old
    log.info("session file renamed to follow its document")
    return new


class SessionStore:
    """One SQLite session file. Thread-safe; use :meth:`transaction` to group writes."""

    def __init__(self, path: Path, doc_hash: str, document_name: str, dpi: int) -> None:
        self.path = path
        self.doc_hash = doc_hash
        self._lock = threading.RLock()
        self._depth = 0
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._con = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=5)
            self._con.execute("PRAGMA journal_mode=WAL")
            self._con.execute("PRAGMA synchronous=FULL")
            self._con.execute("PRAGMA foreign_keys=ON")
            version = self._con.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StorageError("This review was saved by a newer NoteLasso; update NoteLasso to open it.")
            with self.transaction():
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    self._con.execute(statement)  # executescript() would COMMIT early
                self._migrate(version)
                self._con.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                self._set_default("doc_sha256", doc_hash)
                self._set_default("document_name", document_name)
                self._set_default("dpi", str(dpi))
                self._set_default("created_at", utc_now())
                self._set_default("history_pointer", "0")
        except sqlite3.Error as exc:
            raise StorageError("The review session file cannot be opened or is damaged.", hint=str(path)) from exc
        stored = self.get_meta("doc_sha256")
        if stored != doc_hash:
            self.close()
            raise StorageError("The review session file belongs to a different document.", hint=str(path))

    @classmethod
    def open(cls, document_path: Path, *, store_dir: Path | None = None, dpi: int = 200) -> SessionStore:
        document_path = Path(document_path)
        doc_hash = sha256_file(document_path)
        path = locate(document_path, doc_hash, store_dir)
        store = cls(path, doc_hash, document_path.name, dpi)
        if store_dir is None and path.parent != app_data_dir() / "sessions":
            with contextlib.suppress(OSError):
                reg = _registry_path(doc_hash)
                reg.parent.mkdir(parents=True, exist_ok=True)
                reg.write_text(str(path.resolve()), encoding="utf-8")
        log.info("session store opened (%s regions)", store.count_regions())
        return store

    def _migrate(self, version: int) -> None:
        """Upgrade older schemas step by step. ``version`` 0 is a new file (already current)."""
        if version == 1:  # 2: regions remember the page turn they were drawn under
            self._con.execute("ALTER TABLE regions ADD COLUMN rotation INTEGER NOT NULL DEFAULT 0")

    # -- transactions ----------------------------------------------------------------------
    @property
    def transaction_depth(self) -> int:
        """How many :meth:`transaction` blocks are open, nested (0: none). Read it inside one to learn
        whether it is the outermost (1), whose end commits."""
        return self._depth

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT; nested uses join the outer transaction."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._con.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self._con
            except BaseException:
                self._depth -= 1
                if outer:
                    self._con.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                try:
                    self._con.execute("COMMIT")
                except sqlite3.Error as exc:
                    with contextlib.suppress(sqlite3.Error):
                        self._con.execute("ROLLBACK")
                    raise StorageError("The change could not be saved (disk full or read-only?).") from exc

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

    def _set_default(self, key: str, value: str) -> None:
        self._con.execute("INSERT OR IGNORE INTO meta(key, value) VALUES(?, ?)", (key, value))

    # -- regions ---------------------------------------------------------------------------
    def count_regions(self) -> int:
        with self._lock:
            return int(self._con.execute("SELECT COUNT(*) FROM regions").fetchone()[0])

    def load_regions(self) -> list[Region]:
        with self._lock:
            rows = self._con.execute(
                "SELECT id, page, polygon, rotation, status, model_text, text, confidences, words, engine, model, "
                "updated_by, updated_at, error FROM regions ORDER BY seq"
            ).fetchall()
        out = []
        for row in rows:
            d = dict(
                zip(
                    (
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
                    ),
                    row,
                    strict=False,
                )
            )
            for key in ("polygon", "confidences", "words"):
                d[key] = json.loads(d[key])
            out.append(Region.from_dict(d))
        return out

    def save_region(self, region: Region) -> None:
        d = region.to_dict()
        with self.transaction() as con:
            con.execute(
                "INSERT INTO regions(id, seq, page, polygon, rotation, status, model_text, text, confidences, words,"
                " engine, model, updated_by, updated_at, error) VALUES(?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM"
                " regions), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET page=excluded.page,"
                " polygon=excluded.polygon, rotation=excluded.rotation, status=excluded.status,"
                " model_text=excluded.model_text,"
                " text=excluded.text, confidences=excluded.confidences, words=excluded.words,"
                " engine=excluded.engine, model=excluded.model, updated_by=excluded.updated_by,"
                " updated_at=excluded.updated_at, error=excluded.error",
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
                ),
            )

    def delete_region(self, region_id: str) -> None:
        with self.transaction() as con:
            con.execute("DELETE FROM regions WHERE id=?", (region_id,))

    # -- audit -----------------------------------------------------------------------------
    def audit(self, user: str, action: str, region_id: str | None = None, **detail: Any) -> None:
        """Record who did what. ``detail`` holds counts and statuses, never text or pixels."""
        with self.transaction() as con:
            con.execute(
                "INSERT INTO audit(at, user, region_id, action, detail) VALUES(?, ?, ?, ?, ?)",
                (utc_now(), user, region_id, action, json.dumps(detail, sort_keys=True)),
            )

    def audit_log(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._con.execute("SELECT id, at, user, region_id, action, detail FROM audit ORDER BY id").fetchall()
        return [
            {"id": r[0], "at": r[1], "user": r[2], "region_id": r[3], "action": r[4], "detail": json.loads(r[5])}
            for r in rows
        ]

    # -- undo history ----------------------------------------------------------------------
    def load_history(self) -> tuple[list[dict[str, Any]], int]:
        with self._lock:
            rows = self._con.execute("SELECT op FROM history ORDER BY seq").fetchall()
            pointer = int(self.get_meta("history_pointer", "0") or 0)
        ops = [json.loads(r[0]) for r in rows]
        return ops, max(0, min(pointer, len(ops)))

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

    def close(self) -> None:
        with self._lock:
            if self._con is None:
                return
            with contextlib.suppress(sqlite3.Error):
                self._con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._con.close()
            self._con = None  # type: ignore[assignment]


__all__ = [
    "SCHEMA_VERSION",
    "SIDECAR_SUFFIX",
    "SessionStore",
    "StorageError",
    "app_data_dir",
    "locate",
    "read_doc_hash",
    "sha256_file",
    "sidecar_path",
]
