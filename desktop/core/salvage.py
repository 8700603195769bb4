"""A damaged review file: keep it as it is, salvage what can be salvaged, and say what happened.

Two sources are tried: the damaged file itself (SQLite's ``.recover`` when the ``sqlite3`` program is
installed, else reading each table from both ends up to the damage) and the last good copy taken
when the review was last opened or closed in good health. The one holding more regions becomes the
review; on a tie the damaged file's own rows win, as they are newer. Nothing is deleted.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

from desktop.core.sqlite_files import copy_database, quick_check, snapshot, wal_path
from desktop.core.storage import SCHEMA_VERSION, create_schema, last_good_path

log = logging.getLogger(__name__)

__all__ = ["keep_damaged", "salvage"]

_TABLES = ("meta", "regions", "audit", "audit_chain", "history", "set_aside")


def keep_damaged(path: Path) -> Path:
    """Rename the damaged ``path`` (and its WAL) to ``<name>.damaged-<time>``; returns the new path."""
    kept = path.with_name(f"{path.name}.damaged-{datetime.now().strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while kept.exists():
        n += 1
        kept = kept.with_name(f"{kept.name.split('~')[0]}~{n}")
    os.replace(path, kept)
    if wal_path(path).exists():
        os.replace(wal_path(path), wal_path(kept))
    Path(str(path) + "-shm").unlink(missing_ok=True)
    return kept


def _recover_with_sqlite(copy: Path) -> sqlite3.Connection | None:
    """SQLite's own recovery (the ``sqlite3`` program's ``.recover``) into memory; None without it."""
    program = shutil.which("sqlite3")
    if program is None:
        return None
    try:
        proc = subprocess.run(
            [program, str(copy), ".recover"], capture_output=True, text=True, timeout=120, check=False
        )
        if proc.returncode != 0 or "error" in proc.stderr.lower():
            raise subprocess.SubprocessError("recovery failed")  # e.g. a build without sqlite_dbpage
        memory = sqlite3.connect(":memory:", isolation_level=None)
        memory.executescript(proc.stdout)
        memory.execute("SELECT COUNT(*) FROM regions").fetchone()
    except (OSError, subprocess.SubprocessError, sqlite3.Error, UnicodeDecodeError) as exc:
        log.info("sqlite3 .recover gave nothing usable (%s); reading the tables instead", type(exc).__name__)
        return None
    return memory


def _read_both_ends(copy: Path) -> sqlite3.Connection | None:
    """Each table read forwards and backwards until the damage stops it: the rows on either side of it."""
    try:
        src = sqlite3.connect(copy)
        src.execute("SELECT name FROM sqlite_master").fetchall()
    except sqlite3.Error:
        return None
    memory = sqlite3.connect(":memory:", isolation_level=None)
    create_schema(memory)
    for table in _TABLES:
        for order in ("ASC", "DESC"):
            try:
                cur = src.execute(f"SELECT * FROM {table} ORDER BY rowid {order}")
                names = ", ".join(c[0] for c in cur.description)
                marks = ", ".join("?" * len(cur.description))
                for row in cur:
                    memory.execute(f"INSERT OR IGNORE INTO {table}({names}) VALUES({marks})", row)
            except sqlite3.Error:
                continue
    src.close()
    return memory


def _from_damaged(kept: Path) -> sqlite3.Connection | None:
    with tempfile.TemporaryDirectory(prefix="notelasso-salvage-") as tmp:
        copy = Path(tmp) / "damaged.sqlite"
        shutil.copyfile(kept, copy)
        if wal_path(kept).exists():
            shutil.copyfile(wal_path(kept), wal_path(copy))
        return _recover_with_sqlite(copy) or _read_both_ends(copy)


def _count(con: sqlite3.Connection | None, doc_hash: str) -> int:
    """Regions in a candidate that belongs to this document (-1: unusable)."""
    if con is None:
        return -1
    try:
        owner = con.execute("SELECT value FROM meta WHERE key='doc_sha256'").fetchone()
        if owner is not None and owner[0] != doc_hash:
            return -1
        return int(con.execute("SELECT COUNT(*) FROM regions").fetchone()[0])
    except sqlite3.Error:
        return -1


def salvage(path: Path, doc_hash: str) -> tuple[str, ...]:
    """Keep the damaged review at ``path`` aside and put the best salvage in its place.

    Returns what to tell the reviewer (no patient text). When nothing can be salvaged, no file is left
    at ``path`` and the review starts empty; the damaged file is kept in every case.
    """
    kept = keep_damaged(path)
    recovered = _from_damaged(kept)
    good: sqlite3.Connection | None = None
    lastgood = last_good_path(path)
    if lastgood.exists():
        with contextlib.suppress(sqlite3.Error):
            good = snapshot(lastgood, may_touch_folder=True)
            if not quick_check(good):
                good = None
    counts = (_count(recovered, doc_hash), _count(good, doc_hash))
    told = f"The review file was damaged. It was kept unchanged as {kept.name}"
    log.warning("damaged review kept aside; salvage found %d (recovery) and %d (last good copy) regions", *counts)
    if max(counts) <= 0:
        return (f"{told}; nothing could be recovered from it, so this review starts empty.",)
    chosen, source = (
        (recovered, "SQLite's recovery of the damaged file")
        if counts[0] >= counts[1]
        else (good, f"the copy saved on {datetime.fromtimestamp(lastgood.stat().st_mtime):%d %b %Y at %H:%M}")
    )
    assert chosen is not None
    with contextlib.suppress(sqlite3.Error):  # a recovery may lack the user_version: it was the current one
        if chosen.execute("PRAGMA user_version").fetchone()[0] == 0:
            chosen.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    copy_database(chosen, path)
    n = max(counts)
    return ((f"{told}. {n} region{'s' if n != 1 else ''} came back from {source}; please check them before going on."),)
