"""The review session: regions of one document, what was read in them, and undo history.

Qt-free observer pattern: ``subscribe(callback)``; callbacks get ``(event, region)`` with event
"added" | "changed" | "removed" | "reset" (region None), after the change is saved.

The plain methods (``add_region``, ``set_text`` ...) change state without touching undo
history; a person's actions go through ``do(op)`` with an operation from
:mod:`desktop.core.history`, which ``undo()``/``redo()`` walk. Recognition results
(``begin_recognition``/``apply_recognition``/``mark_failed``) are machine events, not history.
Every change, machine or person, undo and redo included, is appended to the audit chain in the same
transaction (decision 013); ``sign_off()`` signs the review off and any later change reopens it
(events "signed" and "reopened", region None).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.core.audit import current_user
from desktop.core.history import Operation
from desktop.core.opening import Opening, open_store
from desktop.core.regions import (
    DECIDED,
    Region,
    RegionStatus,
    as_polygon,
    as_rotation,
    encodable_text,
    new_region_id,
    order_regions,
    utc_now,
)
from desktop.core.signoff import REOPENED_KEY, SIGNED_KEY, SignOff, check_ready
from desktop.core.storage import BadRow, SessionStore, StorageError
from inference.errors import DocumentError, InputError
from inference.geometry import Point

if TYPE_CHECKING:
    import sqlite3
    from contextlib import AbstractContextManager
    from types import TracebackType

    from inference.recognizer import RegionResult

log = logging.getLogger(__name__)

Listener = Callable[[str, "Region | None"], None]
MAX_HISTORY = 500


class ReviewSession:
    """Regions of one document, autosaved to a :class:`SessionStore`. Use from one thread."""

    def __init__(self, document_path: Path, store: SessionStore, *, user: str, dpi: int) -> None:
        self.document_path = Path(document_path)
        self.store = store
        self.user = user
        self.dpi = dpi
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self._pending: list[tuple[str, Region | None]] = []
        self._regions: dict[str, Region] = {}
        self._generation: dict[str, int] = {}
        self._inflight: dict[str, int] = {}
        self._history: list[Operation] = []
        self._pointer = 0
        self.opening = Opening(read_only=store.read_only)
        self._load_notices = self._load(repair=True)

    # -- opening and closing ---------------------------------------------------------------
    @classmethod
    def open(
        cls, document_path: Path, *, store_dir: Path | None = None, user: str | None = None, dpi: int = 200
    ) -> ReviewSession:
        """Open (or start) the review of ``document_path``. The dpi first used for a document
        sticks to it: region coordinates are page pixels at that dpi (see ``session.dpi``).

        ``session.opening`` says whether it opened read-only and what the reviewer must be told
        (a salvaged file, rows set aside, a copy, another window holding it). Raises StorageError
        (or DocumentError) only when there is nothing to show.
        """
        document_path = Path(document_path)
        if not document_path.is_file():
            raise DocumentError(f"File not found: {document_path}")
        user = user or current_user()
        store, opening = open_store(document_path, store_dir=store_dir, dpi=dpi, user=user)
        try:
            stored_dpi, notices = _stored_dpi(store, dpi)
            session = cls(document_path, store, user=user, dpi=stored_dpi)
            if not store.read_only:
                store.save_last_good()
        except BaseException:
            store.close()
            raise
        if stored_dpi != dpi:
            log.info("session keeps its dpi %d (asked for %d)", stored_dpi, dpi)
        session.opening = Opening(opening.read_only, (*opening.notices, *notices, *session._load_notices))
        return session

    @property
    def is_read_only(self) -> bool:
        """True when changes cannot be saved (another window edits it, or its folder is read-only)."""
        return self.store.read_only

    def _load(self, *, repair: bool = False) -> tuple[str, ...]:
        """Read the regions and history from the file. ``repair``: move unreadable rows to ``set_aside``
        (when the file can be written); returns what the reviewer must be told about them."""
        regions, bad = self.store.read_regions()
        self._regions = {}
        for r in regions:
            if r.status is RegionStatus.RECOGNIZING:  # nothing is in flight after a restart
                r = r.with_changes(status=RegionStatus.PENDING)
            self._regions[r.id] = r
        saved = self.store.read_history()
        ops, self._pointer = saved.ops, saved.pointer
        bad_from = saved.bad_from
        self._history = []
        for i, d in enumerate(ops):
            try:
                self._history.append(Operation.from_dict(d))
            except (InputError, KeyError, TypeError, ValueError):
                bad_from = i
                break
        self._pointer = min(self._pointer, len(self._history))
        log.info("session loaded: %d regions, %d history steps", len(self._regions), len(self._history))
        if not repair:
            return ()
        return self._repair(bad, bad_from, saved.pointer_unreadable)

    def _repair(self, bad: list[BadRow], bad_from: int | None, pointer_unreadable: bool) -> tuple[str, ...]:
        notices: list[str] = []
        if bad:
            log.warning("%d unreadable region rows set aside", len(bad))
            n = len(bad)
            notices.append(
                f"{n} region{'s' if n != 1 else ''} of this review could not be read and "
                f"{'were' if n != 1 else 'was'} kept aside in the review file; the rest is loaded."
            )
        if bad_from is not None or pointer_unreadable:
            log.warning("undo history partly unreadable (from step %s)", bad_from)
            notices.append(
                "Part of the undo history could not be read: older steps cannot be undone. "
                "The regions and their text are not affected."
            )
        if self.store.read_only:
            return tuple(notices)
        try:
            if bad:
                self.store.set_aside(bad)
            if bad_from is not None:
                self.store.set_aside_history(bad_from, "unreadable step")
            if pointer_unreadable:
                self.store.set_aside([BadRow("meta", "history_pointer", "not a number")])
                self._save_history(0)
        except StorageError:
            log.warning("unreadable rows could not be set aside; they stay where they are")
        return tuple(notices)

    def close(self) -> None:
        with self._lock:
            self.store.close()
            self._listeners.clear()

    def __enter__(self) -> ReviewSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def doc_hash(self) -> str:
        return self.store.doc_hash

    # -- observers -------------------------------------------------------------------------
    def subscribe(self, callback: Listener) -> Callable[[], None]:
        """Call ``callback(event, region)`` after each saved change; returns an unsubscribe function."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def _emit(self, event: str, region: Region | None) -> None:
        self._pending.append((event, region))

    def _flush(self) -> None:
        events, self._pending = self._pending, []
        for event, region in events:
            for cb in list(self._listeners):
                try:
                    cb(event, region)
                except Exception:
                    log.exception("session listener failed on %s", event)

    def _change(self) -> _Change:
        return _Change(self)

    def grouped(self) -> AbstractContextManager[None]:
        """Several changes saved as ONE transaction: all of them or none (a batch run's page).
        Listeners hear of them after the commit; a failure rolls all back and reloads."""
        return self._change()

    # -- queries ---------------------------------------------------------------------------
    def regions(self, page: int | None = None) -> list[Region]:
        """Regions in the review's order: page, then reading order (top-to-bottom, left-to-right), or
        the order the reviewer set on the page (:func:`~desktop.core.regions.order_regions`)."""
        rs = self._regions.values() if page is None else (r for r in self._regions.values() if r.page == page)
        return order_regions(rs)

    def get(self, region_id: str) -> Region | None:
        return self._regions.get(region_id)

    # -- how each page is turned on screen (kept with the review, not part of undo) ---------
    def page_rotation(self, page: int) -> int:
        """Clockwise degrees page ``page`` was last shown turned by (0 if never turned)."""
        return int(self._page_rotations().get(str(page), 0))

    def set_page_rotation(self, page: int, rotation: int) -> None:
        turns = self._page_rotations()
        turn = as_rotation(rotation)
        if turns.get(str(page), 0) == turn:
            return
        if turn:
            turns[str(page)] = turn
        else:
            turns.pop(str(page), None)
        self.store.set_meta("page_rotations", json.dumps(turns, sort_keys=True))

    def _page_rotations(self) -> dict[str, int]:
        try:
            raw = json.loads(self.store.get_meta("page_rotations", "{}") or "{}")
        except ValueError:
            return {}
        return (
            {k: v for k, v in raw.items() if isinstance(v, int) and v in (90, 180, 270)}
            if isinstance(raw, dict)
            else {}
        )

    def __len__(self) -> int:
        return len(self._regions)

    def _require(self, region_id: str) -> Region:
        try:
            return self._regions[region_id]
        except KeyError:
            raise InputError("That region no longer exists.") from None

    def _store_region(self, region: Region, event: str, action: str, **detail: object) -> Region:
        self.store.save_region(region)
        self._record(action, region.id, self._regions.get(region.id), region, **detail)
        self._regions[region.id] = region
        self._emit(event, region)
        return region

    def _record(
        self, action: str, region_id: str | None, before: Region | None, after: Region | None, **detail: object
    ) -> None:
        """Append the change to the audit chain; a change after a sign-off reopens it first (same transaction)."""
        signed = self.sign_off_state()
        if signed is not None and not signed.is_open:
            reopened = SignOff(signed.reviewer, signed.at, signed.chain_head, utc_now(), self.user)
            self.store.audit(self.user, "reopen", None, signed_at=signed.at, chain_head=signed.chain_head)
            self.store.set_meta(REOPENED_KEY, reopened.to_json())
            self.store.delete_meta(SIGNED_KEY)
            self._emit("reopened", None)
        self.store.audit(self.user, action, region_id, before=before, after=after, **detail)

    # -- sign-off --------------------------------------------------------------------------
    def sign_off_state(self) -> SignOff | None:
        """The standing sign-off, else the last one a change reopened (``is_open``), else None."""
        return SignOff.from_json(self.store.get_meta(SIGNED_KEY)) or SignOff.from_json(
            self.store.get_meta(REOPENED_KEY)
        )

    def sign_off(self) -> SignOff:
        """Sign the document off as ``self.user``: records the time and the audit chain's head.

        Raises SignOffRefusedError unless every region is corrected or verified; StorageError when read-only.
        """
        check_ready(self._regions.values())
        with self._change():
            head = self.store.audit(self.user, "sign_off", None, regions=len(self._regions))
            signed = SignOff(self.user, utc_now(), head)
            self.store.set_meta(SIGNED_KEY, signed.to_json())
            self.store.delete_meta(REOPENED_KEY)
            self._emit("signed", None)
        log.info("review signed off: %d regions", len(self._regions))
        return signed

    def _touch(self, region: Region, **changes: object) -> Region:
        return region.with_changes(updated_by=self.user, updated_at=utc_now(), **changes)

    def _bump(self, region_id: str) -> int:
        self._generation[region_id] = self._generation.get(region_id, 0) + 1
        return self._generation[region_id]

    # -- plain changes (no undo history) ---------------------------------------------------
    def add_region(
        self, page: int, polygon: Sequence[Point], *, region_id: str | None = None, rotation: int = 0
    ) -> Region:
        """``rotation``: how the page was turned on screen (clockwise degrees) when it was drawn."""
        if page < 0:
            raise InputError("Page numbers start at 0.")
        region = Region(
            id=region_id or new_region_id(),
            page=int(page),
            polygon=as_polygon(polygon),
            rotation=as_rotation(rotation),
            status=RegionStatus.PENDING,
            updated_by=self.user,
            updated_at=utc_now(),
        )
        if region.id in self._regions:
            raise InputError("A region with that id already exists.")
        with self._change():
            self._bump(region.id)
            return self._store_region(region, "added", "add", page=region.page, points=len(region.polygon))

    def begin_recognition(self, region_id: str) -> int:
        """Mark a region as being read; returns the generation to pass to apply_recognition."""
        with self._change():
            r = self._require(region_id)
            gen = self._bump(region_id)
            self._inflight[region_id] = gen
            self._store_region(r.with_changes(status=RegionStatus.RECOGNIZING, error=""), "changed", "recognise")
            return gen

    def _is_stale(self, region_id: str, generation: int | None) -> bool:
        if region_id not in self._regions:
            return True
        expected = generation if generation is not None else self._inflight.get(region_id)
        return expected is not None and expected != self._generation.get(region_id, 0)

    def apply_recognition(
        self, region_id: str, result: RegionResult, *, engine: str, model: str, generation: int | None = None
    ) -> Region | None:
        """Store what the model read. Returns None (and changes nothing) when the region was
        deleted or reshaped since ``begin_recognition``. If a person already corrected or
        verified the text meanwhile, their text and status stay; the model's text is kept beside it."""
        with self._change():
            if self._is_stale(region_id, generation):
                log.info("stale recognition result ignored (region %s)", region_id)
                return None
            r = self._regions[region_id]
            self._inflight.pop(region_id, None)
            words = tuple((w.text, tuple(int(v) for v in w.box)) for w in result.words if w.text)
            changes: dict[str, object] = {
                "model_text": result.text,
                "confidences": tuple(result.confidences),
                "words": words,
                "engine": engine,
                "model": model,
                "error": "",
            }
            if getattr(result, "auto_turn", 0):
                # The recogniser found the text upright at a further quarter turn: the region
                # keeps it, so its preview, exports and any re-read show it upright too.
                changes["rotation"] = (r.rotation + result.auto_turn) % 360
            if r.status not in DECIDED:
                changes.update(text=result.text, status=RegionStatus.READ)
            new = self._touch(r, **changes)
            return self._store_region(
                new,
                "changed",
                "recognised",
                chars=len(result.text),
                words=len(words),
                min_confidence=round(result.min_confidence, 3),
                engine=engine,
                model=model,
            )

    def mark_failed(self, region_id: str, message: str, *, generation: int | None = None) -> Region | None:
        """Recognition failed; ``message`` is a user message (no patient data)."""
        with self._change():
            if self._is_stale(region_id, generation):
                return None
            self._inflight.pop(region_id, None)
            r = self._regions[region_id]
            return self._store_region(self._touch(r, status=RegionStatus.FAILED, error=message), "changed", "failed")

    def set_text(self, region_id: str, text: str) -> Region:
        """The final text: CORRECTED if it differs from the model's, else READ.

        A lone surrogate (half a UTF-16 pair, pasted from elsewhere) is stored as U+FFFD.
        """
        text = encodable_text(text)
        with self._change():
            r = self._require(region_id)
            status = RegionStatus.CORRECTED if text != r.model_text else RegionStatus.READ
            return self._store_region(
                self._touch(r, text=text, status=status), "changed", "edit", chars=len(text), status=status.value
            )

    def set_status(self, region_id: str, status: RegionStatus | str) -> Region:
        status = RegionStatus(status)
        with self._change():
            r = self._require(region_id)
            return self._store_region(self._touch(r, status=status), "changed", "status", status=status.value)

    def set_polygon(self, region_id: str, polygon: Sequence[Point]) -> Region:
        """Move or reshape: the region goes back to PENDING to be read again."""
        poly = as_polygon(polygon)
        with self._change():
            r = self._require(region_id)
            self._bump(region_id)
            return self._store_region(
                self._touch(r, polygon=poly, status=RegionStatus.PENDING, error=""),
                "changed",
                "reshape",
                points=len(poly),
            )

    def set_rank(self, region_id: str, rank: float | None) -> Region:
        """Put the region at ``rank`` in its page's order (None: back to its place in reading order).
        Its text and status stay; nothing is read again."""
        with self._change():
            r = self._require(region_id)
            if r.rank == rank:
                return r
            return self._store_region(
                self._touch(r, rank=rank), "changed", "reorder", rank_before=r.rank, rank_after=rank
            )

    def remove_region(self, region_id: str) -> Region:
        with self._change():
            r = self._require(region_id)
            self._bump(region_id)
            self.store.delete_region(region_id)
            self._record("remove", region_id, r, None)
            del self._regions[region_id]
            self._emit("removed", r)
            return r

    def restore_region(self, region: Region) -> Region:
        """Put back a region (as returned by remove_region), keeping its id, text and status."""
        with self._change():
            if region.status is RegionStatus.RECOGNIZING:
                region = region.with_changes(status=RegionStatus.PENDING)
            event = "changed" if region.id in self._regions else "added"
            self._bump(region.id)
            return self._store_region(region, event, "restore")

    def put_snapshot(self, region_id: str, snapshot: Region | None) -> None:
        """Undo/redo: make the region ``region_id`` exactly ``snapshot`` (None: absent). Records no history."""
        if snapshot is None:
            if region_id in self._regions:
                self.remove_region(region_id)
        else:
            self.restore_region(snapshot)

    # -- undo history ----------------------------------------------------------------------
    def do(self, op: Operation) -> None:
        """Apply a person's action and push it on the undo history (dropping any redo steps)."""
        with self._change():
            op.apply(self)
            del self._history[self._pointer :]
            self._history.append(op)
            changed_from = self._pointer
            if len(self._history) > MAX_HISTORY:
                del self._history[: len(self._history) - MAX_HISTORY]
                changed_from = 0
            self._pointer = len(self._history)
            self._save_history(changed_from)

    def undo(self) -> Operation | None:
        if not self.can_undo():
            return None
        with self._change():
            op = self._history[self._pointer - 1]
            op.revert(self)
            self._pointer -= 1
            self._save_history(self._pointer)
            self._record("undo", None, None, None, kind=op.kind)
            return op

    def redo(self) -> Operation | None:
        if not self.can_redo():
            return None
        with self._change():
            op = self._history[self._pointer]
            op.apply(self)
            self._pointer += 1
            self._save_history(self._pointer - 1)
            self._record("redo", None, None, None, kind=op.kind)
            return op

    def _save_history(self, changed_from: int) -> None:
        self.store.save_history([op.to_dict() for op in self._history], self._pointer, changed_from=changed_from)

    def can_undo(self) -> bool:
        return self._pointer > 0

    def can_redo(self) -> bool:
        return self._pointer < len(self._history)

    def undo_text(self) -> str:
        """Label of the step undo() would undo ("" if none), e.g. "Edit text"."""
        return self._history[self._pointer - 1].label if self.can_undo() else ""

    def redo_text(self) -> str:
        return self._history[self._pointer].label if self.can_redo() else ""

    def history(self) -> tuple[list[str], int]:
        """All step labels and the pointer (steps before it are done): to rebuild a QUndoStack."""
        return [op.label for op in self._history], self._pointer


def _stored_dpi(store: SessionStore, dpi: int) -> tuple[int, tuple[str, ...]]:
    """The dpi the review was started with; an unreadable value is kept aside and ``dpi`` used instead."""
    raw = store.get_meta("dpi", str(dpi)) or str(dpi)
    try:
        return int(raw), ()
    except ValueError:
        pass
    if not store.read_only:
        try:
            store.set_aside([BadRow("meta", "dpi", "not a number")])
            store.set_meta("dpi", str(dpi))
        except StorageError:
            log.warning("unreadable dpi could not be set aside")
    return dpi, (
        (
            f"The resolution this review was started with could not be read; it is shown at {dpi} dpi, "
            "so regions may sit off their text. Check them before going on."
        ),
    )


class _Change:
    """One saved change: a single transaction; listeners hear about it after the commit.

    If anything fails, the transaction rolls back and memory is reloaded from the file,
    so what listeners see always matches what is saved.
    """

    def __init__(self, session: ReviewSession) -> None:
        self.s = session
        self._tx: AbstractContextManager[sqlite3.Connection] | None = None

    def __enter__(self) -> None:
        self.s._lock.acquire()
        try:
            self._tx = self.s.store.transaction()
            self._tx.__enter__()
        except BaseException:
            self.s._lock.release()
            raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._tx is not None, "__exit__ without __enter__"
        outer = self.s.store.transaction_depth == 1  # this change's transaction is the outermost: it commits
        try:
            self._tx.__exit__(exc_type, exc, tb)  # commit, or roll back and re-raise below
        except Exception:
            if exc_type is None:
                self._recover(outer)
                raise
        if exc_type is not None:
            self._recover(outer)
            return  # the exception propagates
        if outer:
            self.s._flush()
        self.s._lock.release()

    def _recover(self, outer: bool) -> None:
        if outer:
            self.s._pending.clear()
            self.s._load()
            self.s._emit("reset", None)
            self.s._flush()
        self.s._lock.release()


__all__ = ["Listener", "ReviewSession"]
