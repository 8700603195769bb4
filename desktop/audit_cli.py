"""``notelasso-audit``: check a review's audit trail, or write it out as CSV and JSON (decision 013).

    notelasso-audit verify REVIEW           # verdict, and the first broken entry; exit 0 intact, 9 broken
    notelasso-audit export REVIEW -o STEM   # STEM.csv and STEM.json, created private (0600)

REVIEW is a review file (``<sha256>.sqlite`` in NoteLasso's reviews folder). It is read, never changed.
Nothing printed holds the review's text: the verdict names entries by number, action and region id.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import logging
import sqlite3
import sys
from pathlib import Path
from typing import Any

from desktop.core.audit import Verdict, read_chain, verify_rows
from desktop.core.export_base import check_csv, check_json, write_atomic
from desktop.core.signoff import REOPENED_KEY, SIGNED_KEY, SignOff
from desktop.core.sqlite_files import snapshot
from desktop.core.storage import StorageError
from inference.errors import ExitCode, NoteLassoError, report_error

__all__ = ["AuditBrokenError", "export_trail", "main", "read_review"]

PROG = "notelasso-audit"
log = logging.getLogger(__name__)

#: CSV columns, in order (every field of an entry, then its links).
COLUMNS = (
    "seq",
    "at",
    "reviewer",
    "action",
    "region",
    "status_before",
    "status_after",
    "text_before",
    "text_after",
    "machine_before",
    "machine_after",
    "engine",
    "model",
    "outline_before",
    "outline_after",
    "detail",
    "prev",
    "hash",
)


class AuditBrokenError(NoteLassoError):
    """A review's audit trail does not verify: an entry was changed, removed or reordered."""

    exit_code = ExitCode.AUDIT_BROKEN


def read_review(path: Path) -> sqlite3.Connection:
    """The review at ``path`` copied into memory (the file and its folder are not touched).

    Raises StorageError when it is missing or is not a NoteLasso review."""
    if not path.is_file():
        raise StorageError("The review file was not found.", hint=str(path))
    try:
        con = snapshot(path, may_touch_folder=False)
        con.execute("SELECT 1 FROM meta LIMIT 1").fetchall()
    except sqlite3.Error as exc:
        raise StorageError("This file is not a NoteLasso review, or it cannot be read.", hint=str(path)) from exc
    return con


def _sign_off(con: sqlite3.Connection) -> SignOff | None:
    def meta(key: str) -> str | None:
        row = con.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    return SignOff.from_json(meta(SIGNED_KEY)) or SignOff.from_json(meta(REOPENED_KEY))


def _verify(con: sqlite3.Connection) -> Verdict:
    try:
        return verify_rows(con)
    except sqlite3.Error:
        return Verdict(False, 0, "", 0, "the review has no readable audit trail")


def _csv_cell(value: Any) -> str:
    text = value if isinstance(value, str) else ("" if value is None else json.dumps(value, ensure_ascii=False))
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text  # no formula in a spreadsheet


def export_trail(con: sqlite3.Connection, stem: Path) -> list[Path]:
    """Write the trail of the review open on ``con`` to ``stem``.csv and ``stem``.json; returns both paths."""
    verdict = _verify(con)
    entries: list[dict[str, Any]] = []
    with contextlib.suppress(sqlite3.Error):
        for row in read_chain(con):
            try:
                entries.append(row.as_dict())
            except ValueError:
                entries.append({"seq": row.seq, "prev": row.prev, "hash": row.hash, "unreadable": True})
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for e in entries:
        writer.writerow([_csv_cell(e.get(c)) for c in COLUMNS])
    signed = _sign_off(con)
    body = {
        "format": "notelasso-audit",
        "version": 1,
        "verdict": {
            "intact": verdict.is_intact,
            "entries": verdict.entries,
            "first_broken": verdict.broken_seq,
            "reason": verdict.reason,
        },
        "sign_off": None if signed is None else {**signed.metadata(), "reopened_at": signed.reopened_at},
        "entries": entries,
    }
    csv_path = write_atomic(stem.with_name(stem.name + ".csv"), buf.getvalue().encode("utf-8"), check_csv)
    json_text = json.dumps(body, ensure_ascii=False, indent=2)
    json_path = write_atomic(stem.with_name(stem.name + ".json"), json_text.encode("utf-8"), check_json)
    log.info("audit trail exported: %d entries", len(entries))
    return [csv_path, json_path]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Check or export a NoteLasso review's audit trail.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", required=True)
    verify = sub.add_parser("verify", help="check the hash chain; exit 0 when intact, 9 when broken")
    verify.add_argument("review", type=Path, metavar="REVIEW", help="the review file (.sqlite)")
    export = sub.add_parser("export", help="write the trail as STEM.csv and STEM.json")
    export.add_argument("review", type=Path, metavar="REVIEW", help="the review file (.sqlite)")
    export.add_argument("-o", "--out", type=Path, required=True, metavar="STEM", help="output path without suffix")
    return parser


def _run(args: argparse.Namespace) -> int:
    with contextlib.closing(read_review(args.review)) as con:
        if args.command == "export":
            for path in export_trail(con, args.out):
                print(path)
            return ExitCode.OK
        verdict = _verify(con)
        signed = _sign_off(con)
    if signed is not None:
        print(f"sign-off: {signed.describe()}")
    if not verdict.is_intact:
        raise AuditBrokenError(
            f"The audit trail is broken at entry {verdict.broken_seq} of {verdict.entries}: {verdict.reason}."
        )
    print(f"intact: {verdict.entries} entries, head {verdict.head}")
    return ExitCode.OK


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns an ExitCode."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(name)s: %(message)s")
    try:
        return _run(args)
    except NoteLassoError as exc:
        if args.debug:
            log.debug("error", exc_info=exc)
        return report_error(PROG, exc)
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
