"""Reading regions: the back end's lifecycle and one worker job per region.

The back end opens on a worker; regions drawn before it is ready (or before their page image
is) wait and are read when it is. Results are matched to the document and to the session's
recognition generation, so a stale result (a closed document, a region moved or re-read since)
is dropped instead of overwriting newer text.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from desktop.core import settings as table
from desktop.core.regions import Polygon, RegionStatus
from desktop.qt.documents import DocumentController
from desktop.qt.settings_store import SettingsStore
from desktop.qt.workers import run_job, user_text
from inference.errors import NoModelError

if TYPE_CHECKING:  # loaded on the worker that opens the back end, not at start-up
    from inference.recognizer import Recognizer
    from inference.vocabulary import Vocabulary

log = logging.getLogger(__name__)

__all__ = ["NO_MODEL_BANNER", "RecognitionController"]

NO_MODEL_BANNER = "No recognition model: see Settings. You can still view documents and draw regions."

#: (document generation, region id, ticket); the ticket gets the session's recognition generation.
Job = tuple[int, str, dict[str, int]]


class RecognitionController(QObject):
    """Owns the recognizer; reads regions of the open document on ``pool``."""

    backend_loading = Signal(str)  # the host page regions go to, "" when they stay here
    backend_ready = Signal(str)  # "<back end> · <model>"
    backend_failed = Signal(str, bool)  # user message, whether it is only that no model is installed
    region_read = Signal(str, int)  # region id, clockwise turn the text was read at
    region_failed = Signal(str, str)  # region id, user message
    latency_measured = Signal(float)  # ms from the user's action to the text in the session
    closing = Signal()  # the window is closing: parts that follow recognition release what they hold

    def __init__(
        self, settings: SettingsStore, documents: DocumentController, pool: QThreadPool, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._settings, self._documents, self._pool = settings, documents, pool
        self.recognizer: Recognizer | None = None
        self._vocabulary: Vocabulary | None = None
        self.backend_label = ""
        self.model_label = ""
        self.last_latency_ms: float | None = None
        self.is_started = False
        self._generation = 0
        self._waiting: list[str] = []
        self._started: dict[str, float] = {}
        documents.opened.connect(self._on_document_opened)
        documents.closed.connect(self._waiting.clear)
        documents.page_shown.connect(self._on_page_shown)
        documents.page_image_ready.connect(lambda _index: self._retry_waiting() if self.recognizer else None)

    @property
    def pool(self) -> QThreadPool:
        """The pool its jobs run on (other page work shares it, and the window waits for it on closing)."""
        return self._pool

    # ------------------------------------------------------------------ back end
    def ensure_backend(self) -> None:
        """Open the back end unless it was opened already."""
        if not self.is_started:
            self.open_backend()

    def open_backend(self) -> None:
        """(Re)open the recognition back end on a worker; regions drawn meanwhile wait for it."""
        self.is_started = True
        values = self._settings.values()
        cfg = table.backend_config(values)
        batch = values["backend/batch_size"]
        self._generation += 1
        self.backend_loading.emit(table.remote_host(values) or "")
        old, self.recognizer = self.recognizer, None
        if old is not None:
            old.backend.close()

        def load() -> Recognizer:
            import numpy as np

            from inference.backends import open_backend
            from inference.recognizer import Recognizer

            rec = Recognizer(open_backend(cfg), batch_size=batch)
            rec.backend.infer(np.zeros((1, *rec.spec.input_shape), np.float32))  # warm up
            return rec

        run_job(self._pool, self._generation, load, self._on_backend_ready, self._on_backend_failed)

    def close(self) -> None:
        """Release the back end (the window is closing)."""
        self.closing.emit()
        self._generation += 1
        if self.recognizer is not None:
            self.recognizer.backend.close()
            self.recognizer = None

    def _on_backend_ready(self, gen: int, recognizer: Recognizer, ms: float) -> None:
        if gen != self._generation:
            recognizer.backend.close()
            return
        self.recognizer = recognizer
        recognizer.vocabulary = self._vocabulary
        self.backend_label = recognizer.backend.label
        self.model_label = f"{recognizer.spec.name} {recognizer.spec.version}"
        log.info("back end ready in %.0f ms", ms)
        self.backend_ready.emit(f"{self.backend_label} · {self.model_label}")
        self._retry_waiting()

    def use_vocabulary(self, vocabulary: Vocabulary | None) -> None:
        """Known words (the word lists, once loaded): a word the model nearly read as one is read
        as it from now on (inference/vocabulary.py, decision 024)."""
        self._vocabulary = vocabulary
        if self.recognizer is not None:
            self.recognizer.vocabulary = vocabulary

    def _on_backend_failed(self, gen: int, exc: Exception) -> None:
        if gen != self._generation:
            return
        if isinstance(exc, NoModelError):
            self.backend_failed.emit(NO_MODEL_BANNER, True)
        else:
            self.backend_failed.emit(user_text(exc), False)

    # ------------------------------------------------------------------ reading regions
    def read(self, region_id: str, *, restart_clock: bool = False) -> None:
        """Read a region on a worker; the result goes to the session, which tells the view.

        ``restart_clock``: the user just asked for this read, so its latency counts from now.
        """
        session = self._documents.session
        region = session.get(region_id) if session else None
        if session is None or region is None:
            return
        if restart_clock:
            self._started[region_id] = _now_ms()
        ticket = self._start_job(region_id, region.page, region.polygon, region.rotation)
        if ticket is None:  # retried when the back end or the page is ready
            if region_id not in self._waiting:
                self._waiting.append(region_id)
            if self.recognizer is not None:
                self._documents.pages.request(region.page)
            return
        self._started.setdefault(region_id, _now_ms())
        ticket["gen"] = session.begin_recognition(region_id)

    def read_new(self, region_id: str, page: int, polygon: Polygon, rotation: int, save: Callable[[], None]) -> None:
        """Read a region that ``save()`` is about to add to the session.

        The worker starts reading before the region is saved: the two saves (add, begin) then
        overlap the inference instead of delaying it. If ``save`` raises, its error reaches the
        caller and the result, whose region never got saved, is dropped.
        """
        started = _now_ms()
        ticket = self._start_job(region_id, page, polygon, rotation)
        session = self._documents.session
        if ticket is None or session is None:
            save()
            self._started[region_id] = started
            self.read(region_id)  # waits for the back end or the page
            return
        with session.grouped():  # one commit, and the window redrawn once, while the worker reads
            save()
            ticket["gen"] = session.begin_recognition(region_id)
        self._started[region_id] = started

    def _start_job(self, region_id: str, page_index: int, polygon: Any, rotation: int) -> dict[str, int] | None:
        """Submit the recognition; returns the ticket to fill with the session's generation,
        or None when the back end or the page image is not ready yet."""
        page = self._documents.page_array(page_index)
        rec = self.recognizer
        if rec is None or page is None:
            return None
        ticket: dict[str, int] = {}
        job: Job = (self._documents.generation, region_id, ticket)
        run_job(
            self._pool, job, lambda: rec.recognize(page, polygon, rotation=rotation), self._on_read, self._on_failed
        )
        return ticket

    def _is_current(self, job: Job) -> bool:
        doc_gen, _region_id, ticket = job
        return doc_gen == self._documents.generation and self._documents.session is not None and "gen" in ticket

    def _on_read(self, job: Job, result: Any, _ms: float) -> None:
        session = self._documents.session
        if not self._is_current(job) or session is None:
            return
        _doc_gen, region_id, ticket = job
        region = session.apply_recognition(
            region_id, result, engine=self.backend_label, model=self.model_label, generation=ticket["gen"]
        )
        if region is None:
            return
        started = self._started.pop(region_id, None)
        if started is not None:
            self.last_latency_ms = _now_ms() - started
            self.latency_measured.emit(self.last_latency_ms)
        log.info(
            "region %s read: %d chars in %.0f ms",
            region_id[:8],
            len(result.text),
            result.timings_ms.get("total_ms", 0.0),
        )
        self.region_read.emit(region_id, int(getattr(result, "auto_turn", 0)))

    def _on_failed(self, job: Job, exc: Exception) -> None:
        session = self._documents.session
        if not self._is_current(job) or session is None:
            return
        _doc_gen, region_id, ticket = job
        self._started.pop(region_id, None)
        message = user_text(exc)
        session.mark_failed(region_id, message, generation=ticket["gen"])
        self.region_failed.emit(region_id, message)

    def _retry_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        for rid in waiting:
            self.read(rid)

    def _on_document_opened(self, _path: str) -> None:
        session = self._documents.session
        for r in session.regions() if session else []:  # interrupted reads from an earlier sitting
            if r.status == RegionStatus.PENDING:
                self.read(r.id)

    def _on_page_shown(self, _index: int) -> None:
        # The back end loads once the first page is up: loading ONNX Runtime and rendering a
        # page at the same moment slows both on a small CPU.
        QTimer.singleShot(0, self.ensure_backend)
        self._retry_waiting()


def _now_ms() -> float:
    return time.perf_counter() * 1e3
