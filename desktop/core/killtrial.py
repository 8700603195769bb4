"""The kill -9 trial: edits stream into a review, the process is killed at random, and the review is compared
with what was acknowledged.

An edit is *acknowledged* when ``session.do`` returned: that is when the window shows it saved. Each run
forks a writer that opens the review and applies numbered edits (adding a region, then setting its
text, over and over), writing each edit's number to a pipe as soon as ``do`` returns. The trial kills
it with SIGKILL after a random time (often mid-transaction, sometimes mid-open), reads the acks that
reached the pipe, runs SQLite's ``integrity_check`` on the file as the kill left it, reopens the review
and counts acknowledged edits that are missing. POSIX only (fork, SIGKILL).

    python -m desktop.core.killtrial --kills 1000
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import select
import signal
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from desktop.core.history import AddRegion, SetText
from desktop.core.session import ReviewSession
from desktop.core.sqlite_files import open_uri

__all__ = ["TrialFigures", "main", "run_trial"]

_EVERY = 4  # edit i adds a region when i % _EVERY == 0, else sets that region's text


@dataclass(frozen=True, slots=True)
class TrialFigures:
    """What a trial found. ``lost`` must be 0 and ``integrity_failed`` 0."""

    kills: int
    acknowledged: int  # edits whose call returned before the kill
    lost: int  # acknowledged edits missing after reopening
    integrity_ok: int  # integrity_check results on the file as each kill left it
    integrity_failed: int
    reopen_notices: int  # reopenings that had something to tell the reviewer (should be 0)
    writer_errors: int  # writers that stopped on an error before the kill (should be 0)
    unaudited: int  # acknowledged edits without their audit entry (must be 0)
    chain_broken: int  # reopenings whose audit chain did not verify (must be 0)
    seconds: float

    def lines(self) -> list[str]:
        """The figures as ``name: value`` lines."""
        return [
            f"kills: {self.kills}",
            f"acknowledged edits: {self.acknowledged}",
            f"lost edits: {self.lost}",
            f"integrity_check ok: {self.integrity_ok}",
            f"integrity_check failed: {self.integrity_failed}",
            f"reopenings with a notice: {self.reopen_notices}",
            f"writer errors: {self.writer_errors}",
            f"acknowledged edits without an audit entry: {self.unaudited}",
            f"audit chain broken: {self.chain_broken}",
            f"seconds: {self.seconds:.1f}",
        ]


def _region_id(i: int) -> str:
    return f"{i - i % _EVERY:032d}"


def _writer(document: Path, store_dir: Path, start: int, pipe: int) -> None:
    """The forked writer: numbered edits from ``start`` on, each acknowledged on ``pipe``. Never returns."""
    code = 0
    try:
        session = ReviewSession.open(document, store_dir=store_dir, user="trial")
        i = start
        while True:
            if i % _EVERY == 0:
                y = 10 + (i // _EVERY) % 500
                session.do(AddRegion.new(0, [(10, y), (200, y), (200, y + 20)], region_id=_region_id(i)))
            else:
                session.do(SetText(_region_id(i), text=f"edit {i}"))
            os.write(pipe, f"{i}\n".encode())
            i += 1
    except BaseException:  # noqa: BLE001 - report and leave; the parent counts it as a failed run
        code = 3
    finally:
        os._exit(code)


def _integrity(path: Path) -> bool:
    """SQLite's integrity_check on the file as the kill left it (read-only; the WAL is read, not folded in)."""
    try:
        with contextlib.closing(open_uri(path, mode="ro")) as con:
            return con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    except sqlite3.Error:
        return False


def _one_run(
    document: Path, store_dir: Path, start: int, rng: random.Random, max_wait_s: float
) -> tuple[list[int], bool]:
    """Fork a writer, kill it after a random time; returns the numbers of the edits it acknowledged and
    whether it had stopped on an error before the kill."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _writer(document, store_dir, start, write_end)
    os.close(write_end)
    time.sleep(rng.uniform(0, max_wait_s))
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _pid, status = os.waitpid(pid, 0)
    data = b""
    while select.select([read_end], [], [], 5)[0]:
        block = os.read(read_end, 65536)
        if not block:
            break
        data += block
    os.close(read_end)
    return [int(n) for n in data.decode().split()], os.WIFEXITED(status)


def run_trial(document: Path, store_dir: Path, *, kills: int, seed: int = 0, max_wait_s: float = 0.2) -> TrialFigures:
    """Run ``kills`` writer runs on the review of ``document`` kept in ``store_dir``; returns the figures."""
    rng = random.Random(seed)
    began = time.monotonic()
    last_text: dict[str, int] = {}  # region id -> number of the last acknowledged text edit
    added: set[str] = set()
    acknowledged = lost = ok = failed = told = errors = unaudited = broken = 0
    acked: list[int] = []
    start = 0
    with ReviewSession.open(document, store_dir=store_dir, user="trial") as first:
        path = first.store.path
    for _ in range(kills):
        acks, errored = _one_run(document, store_dir, start, rng, max_wait_s)
        acknowledged += len(acks)
        acked += acks
        errors += errored
        for i in acks:
            if i % _EVERY == 0:
                added.add(_region_id(i))
            else:
                last_text[_region_id(i)] = i
        if _integrity(path):
            ok += 1
        else:
            failed += 1
        with ReviewSession.open(document, store_dir=store_dir, user="checker") as s:
            told += bool(s.opening.notices)
            regions = {r.id: r for r in s.regions()}
            lost += len(added - regions.keys())
            for rid, i in last_text.items():
                text = regions[rid].text if rid in regions else ""
                if not text.startswith("edit ") or int(text.split()[1]) < i:
                    lost += 1
            broken += not s.store.verify_audit().is_intact
            unaudited += _unaudited(s, acked)
            acked = []
            done = [int(rid) for rid in regions] + [int(r.text.split()[1]) for r in regions.values() if r.text]
            start = max([start - 1, *done, *acks]) + 1
            start += (-start) % _EVERY  # begin the next run with a new region
    return TrialFigures(
        kills, acknowledged, lost, ok, failed, told, errors, unaudited, broken, time.monotonic() - began
    )


def _unaudited(session: ReviewSession, acks: list[int]) -> int:
    """How many of the edits numbered ``acks`` have no audit entry (an add of its region, or its text)."""
    seen: set[tuple[str, str]] = set()
    for e in session.store.audit_log():
        if e["action"] in ("add", "edit") and e.get("region"):
            seen.add((e["action"], e["region"] if e["action"] == "add" else f"{e['region']}:{e['text_after']}"))
    missing = 0
    for i in acks:
        key = ("add", _region_id(i)) if i % _EVERY == 0 else ("edit", f"{_region_id(i)}:edit {i}")
        missing += key not in seen
    return missing


def main(argv: list[str] | None = None) -> int:
    """Command line: run the trial and print its figures; exit 1 when an edit was lost or a check failed."""
    parser = argparse.ArgumentParser(prog="python -m desktop.core.killtrial", description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=1000, help="writer runs to kill (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for the kill times")
    parser.add_argument("--max-wait", type=float, default=0.2, help="longest a writer runs, in seconds")
    parser.add_argument("--dir", type=Path, help="work in this folder (default: a temporary one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="notelasso-killtrial-") as tmp:
        work = args.dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        document = work / "trial-document.bin"
        document.write_bytes(b"NoteLasso kill trial %d\n" % args.seed)
        figures = run_trial(document, work / "reviews", kills=args.kills, seed=args.seed, max_wait_s=args.max_wait)
    print("\n".join(figures.lines()))
    failed = figures.lost or figures.integrity_failed or figures.writer_errors
    return 1 if failed or figures.unaudited or figures.chain_broken else 0


if __name__ == "__main__":
    sys.exit(main())
