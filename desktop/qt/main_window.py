"""The main window: shows core state and turns user intent into session operations.

Data flows one way: page image -> polygon (page pixels, from PageView) -> Recognizer on a worker
-> ReviewSession -> the session's events -> view and panel.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRect, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QPixmap, QTransform
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QHBoxLayout, QLabel, QMainWindow, QPushButton, QVBoxLayout,
                               QWidget)

from desktop.core.regions import Region, RegionStatus
from desktop.core.session import ReviewSession
from desktop.qt import dialogs
from desktop.qt.chrome import ChromeMixin
from desktop.qt.correction_panel import CorrectionPanel
from desktop.qt.page_view import PageView
from desktop.qt.pages import PageCache, ThumbnailStrip
from desktop.qt.recognition import RecognitionMixin
from desktop.qt.review_keys import ReviewKeysMixin
from desktop.qt.settings_store import SettingsStore
from desktop.qt.undo import UndoController
from inference.documents import Document, PasswordRequiredError, open_document
from inference.errors import NoteLassoError

log = logging.getLogger(__name__)

__all__ = ["MainWindow"]

OPEN_FILTER = "Scanned notes (*.pdf *.tif *.tiff *.png *.jpg *.jpeg *.bmp);;All files (*)"


class MainWindow(ChromeMixin, ReviewKeysMixin, RecognitionMixin, QMainWindow):
    """One document at a time. Replace ``error_hook`` / ``password_hook`` to capture dialogs (tests)."""

    document_opened = Signal(str)
    page_shown = Signal(int)
    recognition_finished = Signal(str)       # region id (its text is in the session)
    recognition_failed = Signal(str, str)    # region id, user message
    backend_ready = Signal(str)              # label
    backend_failed = Signal(str)             # user message

    def __init__(self, store: SettingsStore, *, store_dir: Path | None = None) -> None:
        super().__init__()
        self.settings = store
        self.store_dir = store_dir
        self.error_hook = lambda title, message, hint: dialogs.show_error_dialog(self, title, message, hint)
        self.password_hook = lambda filename, is_retry: dialogs.ask_password_dialog(self, filename, is_retry)

        self.document: Document | None = None
        self.session: ReviewSession | None = None
        self._unsubscribe = None
        self.page_index = 0
        self._pending_select: str | None = None  # a Tab/F8 target waiting for its page to render
        self.current_id: str | None = None
        self.recognizer = None
        self.backend_label = ""
        self.model_label = ""
        self.last_latency_ms: float | None = None
        self.latencies_ms: list[float] = []
        self._backend_generation = 0
        self._waiting_for_backend: list[str] = []
        self._started: dict[str, float] = {}
        self._doc_generation = 0

        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self.pages = PageCache(parent=self)
        self.pages.page_ready.connect(self._on_page_ready)
        self.pages.page_failed.connect(self._on_page_failed)
        self.pages.thumb_ready.connect(self._on_thumb_ready)
        self.undo = UndoController(self)
        self.undo.stack.indexChanged.connect(self._update_actions)

        self._build_widgets()
        self._build_actions()
        self._build_status_bar()
        self.setAcceptDrops(True)
        screen = self.screen().availableGeometry() if self.screen() else None
        self.resize(min(1480, screen.width()) if screen else 1440, min(940, screen.height()) if screen else 900)
        self._update_title()
        self._update_actions()
        # The back end loads once the first page is up (or soon, with no document): loading
        # ONNX Runtime and rendering a page at the same moment slows both on a small CPU.
        self._is_backend_started = False
        self._update_remote_badge()
        QTimer.singleShot(600, self._ensure_backend)

    # ------------------------------------------------------------------ widgets
    def _build_widgets(self) -> None:
        self.view = PageView()
        self.view.region_drawn.connect(self._on_region_drawn)
        self.view.region_moved.connect(self._on_region_moved)
        self.view.region_clicked.connect(self.select_region)
        self.view.zoom_changed.connect(self._on_zoom_changed)
        self.view.rotation_changed.connect(self._on_rotation_changed)

        self.banner = QWidget()
        self.banner.setObjectName("banner")
        self.banner_label = QLabel()
        self.banner_label.setWordWrap(True)
        banner_button = QPushButton("Settings…")
        banner_button.clicked.connect(self.show_settings)
        bl = QHBoxLayout(self.banner)
        bl.setContentsMargins(12, 6, 12, 6)
        bl.addWidget(self.banner_label, 1)
        bl.addWidget(banner_button)
        self.banner.hide()

        self.empty_hint = QLabel("Drop a scanned note here, or press Ctrl+O to open one.")
        self.empty_hint.setObjectName("emptyHint")
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)

        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.banner)
        lay.addWidget(self.empty_hint, 1)
        lay.addWidget(self.view, 1)
        self.view.hide()
        self.setCentralWidget(central)

        self.thumbs = ThumbnailStrip()
        self.thumbs.page_chosen.connect(self.show_page)
        dock = QDockWidget("Pages", self)
        dock.setObjectName("pagesDock")
        dock.setWidget(self.thumbs)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.pages_dock = dock

        self.panel = CorrectionPanel()
        self.panel.region_activated.connect(self.select_region)
        ed = self.panel.editor
        ed.accepted.connect(self.accept_and_next)
        ed.verified.connect(self.verify_and_next)
        ed.cancelled.connect(self.cancel_edit)
        ed.next_requested.connect(self.next_region)
        ed.previous_requested.connect(self.previous_region)
        dock = QDockWidget("Review", self)
        dock.setObjectName("reviewDock")
        dock.setWidget(self.panel)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.resizeDocks([dock], [420], Qt.Orientation.Horizontal)
        self.review_dock = dock

    # ------------------------------------------------------------------ documents
    def choose_document(self) -> None:
        start = str(Path(self.settings.recent_files()[0]).parent) if self.settings.recent_files() else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open a scanned note", start, OPEN_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Open a document and its review session. Errors go to ``error_hook``; returns success."""
        path = Path(path)
        password: str | None = None
        is_retry = False
        while True:
            try:
                doc = open_document(path, password)
                break
            except PasswordRequiredError:
                password = self.password_hook(path.name, is_retry)
                if password is None:
                    return False
                is_retry = True
            except NoteLassoError as exc:
                self._report(f"Cannot open {path.name}", exc)
                return False
        if self.document is not None and path.resolve() == self.document.path.resolve():
            self._close_document()  # reopening: one session per document file at a time
        try:
            session = ReviewSession.open(path, store_dir=self.store_dir, dpi=self.settings.get("document/dpi"))
        except NoteLassoError as exc:
            doc.close()
            self._report(f"Cannot open the review of {path.name}", exc)
            return False
        self._close_document()
        self.document, self.session = doc, session
        self._doc_generation += 1
        self._unsubscribe = session.subscribe(self._on_session_event)
        self.undo.attach(session)
        self.pages.reset(doc, session.dpi)
        self.thumbs.set_count(doc.page_count)
        self.pages_dock.setVisible(doc.page_count > 1)
        self.empty_hint.hide()
        self.view.show()
        self.settings.add_recent(path)
        self.page_index = -1
        self.show_page(0)
        self.pages.request_thumbnails(min(doc.page_count, 200))
        for r in session.regions():  # interrupted reads from an earlier sitting
            if r.status == RegionStatus.PENDING:
                self.recognise(r.id)
        self.document_opened.emit(str(path))
        log.info("opened a %s document: %d pages, %d regions", doc.kind, doc.page_count, len(session.regions()))
        return True

    def _close_document(self) -> None:
        self._commit_edit()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.session is not None:
            self.session.close()
        if self.document is not None:
            self.pages.reset(None, 200)
            self.pages.wait(3000)
            self.document.close()
        self.document, self.session, self.current_id = None, None, None
        self.undo.attach(None)
        self._waiting_for_backend.clear()
        self.view.set_page(None)
        self.panel.set_regions([], 0.6, None)
        self.panel.show_region(None, None, 0.6)

    def show_page(self, index: int) -> None:
        if self.document is None or not 0 <= index < self.document.page_count:
            return
        if index != self.page_index:
            self._commit_edit()
            self.current_id = None
        self._pending_select = None
        self.page_index = index
        self.thumbs.set_current(index)
        cached = self.pages.get(index)
        if cached is None:
            self.view.set_page(None)
            self.statusBar().showMessage(f"Rendering page {index + 1}…")
            self.pages.request(index)
        else:
            self._display(index)
        self._update_title()
        self._update_actions()

    def _display(self, index: int) -> None:
        cached = self.pages.get(index)
        if cached is None or self.session is None:
            return
        self.view.set_page(cached[1])
        self.view.set_rotation(self.session.page_rotation(index))
        self.view.set_regions(self.session.regions(index))
        self._refresh_panel()
        self.statusBar().clearMessage()
        self._take_pending_select()
        self.page_shown.emit(index)
        QTimer.singleShot(0, self._ensure_backend)
        self._retry_waiting()
        self.pages.request(index + 1)  # the next page is probably wanted soon

    def _on_page_ready(self, _gen: int, index: int) -> None:
        if index == self.page_index and not self.view.has_page:
            self._display(index)
        elif self._waiting_for_backend and self.recognizer is not None:
            self._retry_waiting()

    def _on_page_failed(self, _gen: int, index: int, exc: Exception) -> None:
        if index == self.page_index:
            self._report(f"Cannot show page {index + 1}", exc)

    def _on_thumb_ready(self, _gen: int, index: int, image: Any) -> None:
        self.thumbs.set_thumbnail(index, image)

    def page_array(self, index: int):  # noqa: ANN201
        cached = self.pages.get(index)
        return None if cached is None else cached[0]

    # ------------------------------------------------------------------ session events -> view
    def _on_session_event(self, event: str, region: Region | None) -> None:
        if event == "reset" or region is None:
            self.view.set_regions(self.session.regions(self.page_index) if self.session else [])
        elif region.page == self.page_index:
            if event == "removed":
                self.view.remove_region(region.id)
                if region.id == self.current_id:
                    self.current_id = None
            else:
                self.view.upsert_region(region)
                self.view.select_region(self.current_id, ensure_visible=False)
        self._refresh_panel(changed_id=region.id if region else None)
        self._update_actions()

    def _threshold(self) -> float:
        return float(self.settings.get("review/confidence_threshold"))

    def _refresh_panel(self, changed_id: str | None = None) -> None:
        regions = self.session.regions(self.page_index) if self.session else []
        self.panel.set_regions(regions, self._threshold(), self.current_id)
        done = sum(r.status in (RegionStatus.CORRECTED, RegionStatus.VERIFIED) for r in regions)
        self.count_status.setText(f"{len(regions)} region{'s' if len(regions) != 1 else ''} · {done} reviewed"
                                  if regions else "")
        if changed_id is None or changed_id == self.current_id:
            region = self.session.get(self.current_id) if self.session and self.current_id else None
            keep = (region is not None and changed_id == self.current_id and self.panel.editor.hasFocus()
                    and self.panel.editor.document().isModified())
            self._show_current(region, keep_text=keep)

    def _show_current(self, region: Region | None, *, keep_text: bool = False) -> None:
        if region is None:
            self.panel.show_region(None, None, self._threshold())
            return
        ids = self.panel.region_ids
        index = ids.index(region.id) + 1 if region.id in ids else 0
        self.panel.show_region(region, self._crop(region), self._threshold(), index=index, keep_text=keep_text)

    def _crop(self, region: Region) -> QPixmap | None:
        cached = self.pages.get(region.page)
        if cached is None:
            return None
        x0, y0, x1, y1 = region.bbox
        pad = 6
        if region.words:  # show the text that was read, not the empty part of a loose lasso
            boxes = [box for _, box in region.words]
            pad = max(pad, int(0.3 * min(b[3] - b[1] for b in boxes)))
            x0, y0 = max(x0, min(b[0] for b in boxes)), max(y0, min(b[1] for b in boxes))
            x1, y1 = min(x1, max(b[2] for b in boxes)), min(y1, max(b[3] for b in boxes))
        rect = QRect(int(x0) - pad, int(y0) - pad, int(x1 - x0) + 2 * pad, int(y1 - y0) + 2 * pad)
        crop = QPixmap.fromImage(cached[1].copy(rect.intersected(cached[1].rect())))
        return crop.transformed(QTransform().rotate(region.rotation)) if region.rotation else crop

    def _on_rotation_changed(self, degrees: int) -> None:
        """The page was turned on screen: remember it with the review; new regions read that way."""
        if self.session is None or not self.view.has_page:
            return
        try:
            self.session.set_page_rotation(self.page_index, degrees)
        except NoteLassoError as exc:
            self._report("Cannot save the page turn", exc)

    # ------------------------------------------------------------------ export
    def choose_export(self, fmt: str, scope: str) -> None:
        from desktop.core.export import FORMATS

        if self.session is None:
            return
        self._commit_edit()
        name, ext = FORMATS[fmt]
        ext = ext.lstrip(".")
        base = self.session.document_path.with_suffix("")
        suffix = f"-p{self.page_index + 1}" if scope == "page" else ""
        path, _ = QFileDialog.getSaveFileName(self, f"Export {name}", f"{base}{suffix}.{ext}", f"{name} (*.{ext})")
        if path:
            self.export_to(fmt, Path(path), pages=[self.page_index] if scope == "page" else None)

    def export_to(self, fmt: str, path: Path, *, pages: list[int] | None = None) -> bool:
        from desktop.core.export import export_session

        try:
            export_session(self.session, fmt, path, pages=pages, document=self.document)
        except NoteLassoError as exc:
            self._report("Export failed", exc)
            return False
        self.statusBar().showMessage(f"Exported {path.name}", 5000)
        return True

    # ------------------------------------------------------------------ dialogs
    def show_settings(self) -> None:
        dlg = dialogs.SettingsDialog(self.settings.values(), self, pool=self.pool)
        if dlg.exec() != dialogs.QDialog.DialogCode.Accepted:
            return
        self.apply_settings(dlg.values())

    def apply_settings(self, values: dict[str, Any]) -> None:
        before = self.settings.values()
        for key, value in values.items():
            self.settings.set(key, value)
        self.settings.sync()
        after = self.settings.values()
        if any(before[k] != after[k] for k in after if k.startswith("backend/")):
            self.open_backend()
        if before["document/dpi"] != after["document/dpi"] and self.session is not None:
            self.statusBar().showMessage("The new dpi applies to documents opened from now on", 6000)
        self._refresh_panel()

    def show_shortcuts(self) -> None:
        dialogs.ShortcutsDialog(self).exec()

    def _report(self, title: str, exc: Exception) -> None:
        """The one place the window turns an error into words for staff."""
        if isinstance(exc, NoteLassoError):
            self.error_hook(title, exc.user_message, exc.hint)
        else:
            log.exception("unexpected error: %s", title, exc_info=exc)
            self.error_hook(title, f"Unexpected error ({type(exc).__name__}).", "See the log for details.")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            QTimer.singleShot(0, lambda: self.open_path(files[0]))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self._close_document()
        self.pool.waitForDone(5000)
        if self.recognizer is not None:
            self.recognizer.backend.close()
            self.recognizer = None
        self.settings.set_raw("window/geometry", self.saveGeometry())
        self.settings.set_raw("window/state", self.saveState())
        self.settings.sync()
        super().closeEvent(event)
