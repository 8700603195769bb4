"""Regions drawn, moved, deleted and read: the back end's lifecycle and one worker job per region.

A mixin of :class:`desktop.qt.main_window.MainWindow`. The back end opens on a worker; regions
drawn before it is ready (or before their page image is) wait and are read when it is. Results
are matched to the document and to the session's recognition generation, so a stale result (a
closed document, a region moved or re-read since) is dropped instead of overwriting newer text.
"""

from __future__ import annotations

import logging
from typing import Any

from desktop.core import settings as table
from desktop.core.history import AddRegion, RemoveRegion, SetPolygon
from desktop.qt.workers import run_job
from inference.errors import DocumentError, NoteLassoError

log = logging.getLogger(__name__)

__all__ = ["NO_MODEL_BANNER", "RecognitionMixin", "user_text"]

NO_MODEL_BANNER = "No recognition model: see Settings. You can still view documents and draw regions."


class RecognitionMixin:
    """Needs the window's ``settings``, ``session``, ``pool``, ``pages``, ``view``, ``undo``,
    status-bar labels and ``recognition_*`` / ``backend_*`` signals."""

    # ------------------------------------------------------------------ back end
    def _update_remote_badge(self) -> None:
        host = table.remote_host(self.settings.values())
        self.remote_badge.setVisible(host is not None)
        self.remote_badge.setText(f"REMOTE: {host}" if host else "")
        self.remote_badge.setToolTip("Page regions are sent to this server for recognition." if host else "")

    def _ensure_backend(self) -> None:
        if not self._is_backend_started:
            self.open_backend()

    def open_backend(self) -> None:
        """(Re)open the recognition back end on a worker; regions drawn meanwhile wait for it."""
        self._is_backend_started = True
        values = self.settings.values()
        cfg = table.backend_config(values)
        batch = values["backend/batch_size"]
        self._backend_generation += 1
        gen = self._backend_generation
        self._update_remote_badge()
        self.backend_status.setText("Loading model…")
        old, self.recognizer = self.recognizer, None
        if old is not None:
            old.backend.close()

        def load():  # noqa: ANN202
            import numpy as np

            from inference.backends import open_backend
            from inference.recognizer import Recognizer

            backend = open_backend(cfg)
            rec = Recognizer(backend, batch_size=batch)
            rec.backend.infer(np.zeros((1, *rec.spec.input_shape), np.float32))  # warm up
            return rec

        run_job(self.pool, gen, load, self._on_backend_ready, self._on_backend_failed)

    def _on_backend_ready(self, gen: int, recognizer: Any, ms: float) -> None:
        if gen != self._backend_generation:
            recognizer.backend.close()
            return
        self.recognizer = recognizer
        spec = recognizer.spec
        self.backend_label = recognizer.backend.label
        self.model_label = f"{spec.name} {spec.version}"
        self.backend_status.setText(f"{self.backend_label} · {self.model_label}")
        self.banner.hide()
        log.info("back end ready in %.0f ms", ms)
        self.backend_ready.emit(self.backend_label)
        self._retry_waiting()

    def _retry_waiting(self) -> None:
        waiting, self._waiting_for_backend = self._waiting_for_backend, []
        for rid in waiting:
            self.recognise(rid)

    def _on_backend_failed(self, gen: int, exc: Exception) -> None:
        if gen != self._backend_generation:
            return
        from inference.models import NO_MODEL_MESSAGE

        if isinstance(exc, NoteLassoError) and exc.user_message == NO_MODEL_MESSAGE:
            message = NO_MODEL_BANNER
            self.backend_status.setText("No recognition model")
        else:
            message = user_text(exc)
            self.backend_status.setText("Recognition unavailable")
        self.banner_label.setText(message)
        self.banner.show()
        self.statusBar().showMessage(message.split(".")[0], 8000)
        self.backend_failed.emit(message)

    # ------------------------------------------------------------------ regions and recognition
    def _on_region_drawn(self, polygon: list[tuple[float, float]]) -> None:
        if self.session is None:
            return
        started = _now_ms()
        self._commit_edit()
        op = AddRegion.new(self.page_index, polygon, rotation=self.view.rotation)
        # The worker starts reading before the region is saved: the two saves (add, begin) then
        # overlap the inference instead of delaying it. A result whose region never got saved
        # finds no generation in its ticket and is dropped.
        ticket = self._start_job(op.region_id, self.page_index, op.polygon, op.rotation)
        try:
            self.undo.push(op)
        except NoteLassoError as exc:
            self._report("Cannot add the region", exc)
            return
        self._started[op.region_id] = started
        self.select_region(op.region_id)
        if ticket is None:
            self.recognise(op.region_id)  # waits for the back end or the page
        else:
            ticket["gen"] = self.session.begin_recognition(op.region_id)

    def recognise(self, region_id: str) -> None:
        """Read a region on a worker; the result goes to the session, which tells the view."""
        session = self.session
        region = session.get(region_id) if session else None
        if session is None or region is None:
            return
        ticket = self._start_job(region_id, region.page, region.polygon, region.rotation)
        if ticket is None:  # retried when the back end or the page is ready
            if region_id not in self._waiting_for_backend:
                self._waiting_for_backend.append(region_id)
            if self.recognizer is not None:
                self.pages.request(region.page)
            return
        self._started.setdefault(region_id, _now_ms())
        ticket["gen"] = session.begin_recognition(region_id)

    def _start_job(self, region_id: str, page_index: int, polygon: Any, rotation: int) -> dict[str, int] | None:
        """Submit the recognition; returns the ticket to fill with the session's generation,
        or None when the back end or the page image is not ready yet."""
        page = self.page_array(page_index)
        if self.recognizer is None or page is None:
            return None
        rec = self.recognizer
        ticket: dict[str, int] = {}
        run_job(self.pool, (self._doc_generation, region_id, ticket), lambda: rec.recognize(page, polygon, rotation=rotation),
                self._on_recognised, self._on_recognition_failed)
        return ticket

    def _on_recognised(self, job: tuple[int, str, dict[str, int]], result: Any, _ms: float) -> None:
        doc_gen, region_id, ticket = job
        if doc_gen != self._doc_generation or self.session is None or "gen" not in ticket:
            return
        region = self.session.apply_recognition(region_id, result, engine=self.backend_label,
                                                model=self.model_label, generation=ticket["gen"])
        if region is None:
            return
        started = self._started.pop(region_id, None)
        if started is not None:
            self.last_latency_ms = _now_ms() - started
            self.latencies_ms.append(self.last_latency_ms)
            self.latency_status.setText(f"{self.last_latency_ms:.0f} ms")
        log.info("region %s read: %d chars in %.0f ms", region_id[:8], len(result.text),
                 result.timings_ms.get("total_ms", 0.0))
        turn = getattr(result, "auto_turn", 0)
        if turn:
            self.statusBar().showMessage(
                f"The text in this region runs sideways: it was read turned {turn}\N{DEGREE SIGN}. "
                "If the whole page is sideways, turn it with Ctrl+].", 12000)
        if region_id == self.current_id and self.view.hasFocus():
            self.edit_current()
        self.recognition_finished.emit(region_id)

    def _on_recognition_failed(self, job: tuple[int, str, dict[str, int]], exc: Exception) -> None:
        doc_gen, region_id, ticket = job
        if doc_gen != self._doc_generation or self.session is None or "gen" not in ticket:
            return
        self._started.pop(region_id, None)
        message = user_text(exc)
        self.session.mark_failed(region_id, message, generation=ticket["gen"])
        self.statusBar().showMessage(f"Could not read the region: {message}", 8000)
        self.recognition_failed.emit(region_id, message)

    def _on_region_moved(self, region_id: str, polygon: list[tuple[float, float]]) -> None:
        if self.session is None or self.session.get(region_id) is None:
            return
        try:
            self.undo.push(SetPolygon(region_id=region_id, polygon=tuple(polygon)))
        except NoteLassoError as exc:
            self._report("Cannot move the region", exc)
            return
        self._started[region_id] = _now_ms()
        self.recognise(region_id)

    def reread_current(self) -> None:
        if self.current_id:
            self._started[self.current_id] = _now_ms()
            self.recognise(self.current_id)

    def delete_current(self) -> None:
        rid = self.current_id
        if self.session is None or rid is None or self.session.get(rid) is None:
            return
        ids = [r.id for r in self.session.regions(self.page_index)]
        nxt = ids[ids.index(rid) + 1] if rid in ids and ids.index(rid) + 1 < len(ids) else None
        nxt = nxt or (ids[ids.index(rid) - 1] if rid in ids and ids.index(rid) > 0 else None)
        self.undo.push(RemoveRegion(region_id=rid))
        self.select_region(nxt)


def user_text(exc: Exception) -> str:
    if isinstance(exc, NoteLassoError):
        return exc.user_message + (f" {exc.hint}" if exc.hint else "")
    if isinstance(exc, DocumentError):
        return str(exc)
    return f"Unexpected error ({type(exc).__name__})."


def _now_ms() -> float:
    import time

    return time.perf_counter() * 1e3
