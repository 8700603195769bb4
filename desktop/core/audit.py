"""The review's audit trail: an append-only, hash-chained log of every change (decision 013).

Each entry is a JSON object serialised canonically (keys sorted, no spaces, UTF-8, no ASCII
escaping); its hash is ``SHA-256(prev_hash_hex + "\\n" + canonical_json)``, hex. The first entry
(``seq`` 0) is the genesis entry, whose ``prev`` is 64 zeros. A changed entry breaks its own hash,
a deleted or reordered one breaks the ``seq`` and ``prev`` links of the next, and a cut tail is told
by the head and count kept in ``meta``. Rows are only ever inserted; nothing here updates or deletes.

This module reads and writes the ``audit_chain`` table through a connection the caller holds (in
its transaction); it never logs an entry's contents: they hold the review's text.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from desktop.core.regions import Region, utc_now

__all__ = [
    "CHAIN_TABLE",
    "FORMAT_VERSION",
    "GENESIS_PREV",
    "ChainRow",
    "Verdict",
    "append_entry",
    "canonical",
    "chain_hash",
    "current_user",
    "ensure_genesis",
    "read_chain",
    "region_change",
    "verify_rows",
]

FORMAT_VERSION = 1
GENESIS_PREV = "0" * 64
CHAIN_TABLE = """
CREATE TABLE IF NOT EXISTS audit_chain (
    seq INTEGER PRIMARY KEY,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL,
    entry TEXT NOT NULL
)"""
_HEAD_KEY, _COUNT_KEY = "audit_head", "audit_count"


def current_user() -> str:
    """The operating-system account name (the reviewer's default), or "unknown" where there is none."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no USER/LOGNAME and no passwd entry (containers)
        return "unknown"


def canonical(entry: Mapping[str, Any]) -> str:
    """The one serialisation that is hashed: JSON, keys sorted, ``,``/``:`` separators, non-ASCII kept."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def chain_hash(prev: str, entry_text: str) -> str:
    """SHA-256 (hex) over the previous entry's hash (hex), a newline and the canonical entry, as UTF-8."""
    return hashlib.sha256(f"{prev}\n{entry_text}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainRow:
    """One stored entry: its position, the hash it links to, its own hash and its canonical text."""

    seq: int
    prev: str
    hash: str
    entry: str

    def as_dict(self) -> dict[str, Any]:
        """The entry's fields (parsed), with ``hash`` and ``prev`` added; raises ValueError if unreadable."""
        value = json.loads(self.entry)
        if not isinstance(value, dict):
            raise ValueError("not an object")
        return {**value, "prev": self.prev, "hash": self.hash}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What :func:`verify_rows` found: ``is_intact``, how many entries, and the first broken one (seq, why)."""

    is_intact: bool
    entries: int
    head: str
    broken_seq: int | None = None
    reason: str = ""


def _outline(region: Region | None) -> list[list[float]] | None:
    return None if region is None else [list(p) for p in region.polygon]


def region_change(before: Region | None, after: Region | None) -> dict[str, Any]:
    """The fields an entry keeps about one region's change: text, status and outline before and after,
    the engine and model that read it, and the machine reading before and after (``None``: no region)."""
    latest = after if after is not None else before
    return {
        "text_before": None if before is None else before.text,
        "text_after": None if after is None else after.text,
        "status_before": None if before is None else before.status.value,
        "status_after": None if after is None else after.status.value,
        "outline_before": _outline(before),
        "outline_after": _outline(after),
        "machine_before": None if before is None else before.model_text,
        "machine_after": None if after is None else after.model_text,
        "engine": "" if latest is None else latest.engine,
        "model": "" if latest is None else latest.model,
    }


def _head(con: sqlite3.Connection) -> tuple[int, str]:
    row = con.execute("SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1").fetchone()
    return (-1, GENESIS_PREV) if row is None else (int(row[0]), str(row[1]))


def _set_meta(con: sqlite3.Connection, key: str, value: str) -> None:
    con.execute(
        "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value)
    )


def append_entry(
    con: sqlite3.Connection,
    *,
    reviewer: str,
    action: str,
    region_id: str | None = None,
    change: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
) -> str:
    """Append one entry after the current head (inside the caller's transaction); returns its hash.

    The head and the count are kept in ``meta`` too, so a cut-off tail is detected.
    """
    last, prev = _head(con)
    entry: dict[str, Any] = {
        "v": FORMAT_VERSION,
        "seq": last + 1,
        "at": utc_now(),
        "reviewer": reviewer,
        "action": action,
        "region": region_id,
        **(change or {}),
        "detail": dict(detail or {}),
    }
    text = canonical(entry)
    digest = chain_hash(prev, text)
    con.execute("INSERT INTO audit_chain(seq, prev, hash, entry) VALUES(?, ?, ?, ?)", (last + 1, prev, digest, text))
    _set_meta(con, _HEAD_KEY, digest)
    _set_meta(con, _COUNT_KEY, str(last + 2))
    return digest


def ensure_genesis(con: sqlite3.Connection, *, doc_sha256: str, reviewer: str) -> bool:
    """Start the chain of a review that has none (a new review, or one saved before the chain existed).
    The genesis entry counts the older, unchained audit rows it follows. Returns whether it was written."""
    if con.execute("SELECT 1 FROM audit_chain LIMIT 1").fetchone() is not None:
        return False
    earlier = int(con.execute("SELECT COUNT(*) FROM audit").fetchone()[0])
    regions = int(con.execute("SELECT COUNT(*) FROM regions").fetchone()[0])
    append_entry(
        con,
        reviewer=reviewer,
        action="genesis",
        detail={"doc_sha256": doc_sha256, "earlier_unchained_rows": earlier, "regions_at_start": regions},
    )
    return True


def read_chain(con: sqlite3.Connection) -> list[ChainRow]:
    """Every stored entry in ``seq`` order (as stored: nothing is checked here)."""
    rows = con.execute("SELECT seq, prev, hash, entry FROM audit_chain ORDER BY seq").fetchall()
    return [ChainRow(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]


def _meta(con: sqlite3.Connection, key: str) -> str | None:
    row = con.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _check_row(i: int, row: ChainRow, prev: str) -> str:
    """Why the ``i``-th row breaks the chain after ``prev`` ("" when it does not)."""
    if row.seq != i:
        return f"entry {i} is missing (the next stored entry is numbered {row.seq})"
    if row.prev != prev:
        return "it does not link to the entry before it (an entry was removed, inserted or reordered)"
    if chain_hash(prev, row.entry) != row.hash:
        return "its contents do not match its hash (the entry was changed)"
    try:
        value = json.loads(row.entry)
    except ValueError:
        return "it cannot be read"
    if not isinstance(value, dict) or value.get("seq") != i:
        return "its own number disagrees with its place (entries were reordered)"
    if canonical(value) != row.entry:
        return "it is not in canonical form"
    if i == 0 and value.get("action") != "genesis":
        return "the chain does not start with a genesis entry"
    return ""


def verify_rows(con: sqlite3.Connection) -> Verdict:
    """Check the whole chain of the review open on ``con``; returns the verdict and the first broken entry."""
    rows = read_chain(con)
    prev = GENESIS_PREV
    if not rows:
        return Verdict(False, 0, prev, 0, "the review has no audit trail")
    for i, row in enumerate(rows):
        reason = _check_row(i, row, prev)
        if reason:
            return Verdict(False, len(rows), prev, i, reason)
        prev = row.hash
    head, count = _meta(con, _HEAD_KEY), _meta(con, _COUNT_KEY)
    if (head is not None and head != prev) or (count is not None and count != str(len(rows))):
        return Verdict(False, len(rows), prev, len(rows), "entries after this one were removed from the end")
    return Verdict(True, len(rows), prev)
