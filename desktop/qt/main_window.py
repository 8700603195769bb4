"""The main window: assembles the parts of the shell and wires them; it holds no review logic.

Each part gets what it depends on in its constructor (docs/architecture.md draws them):

- :class:`~desktop.qt.documents.DocumentController`: the document, its session, the page shown;
- :class:`~desktop.qt.recognition.RecognitionController`: the back end and one job per region;
- :class:`~desktop.qt.navigator.ReviewNavigator`: the selection, the reviewer's keys and edits;
- :mod:`desktop.qt.actions`: menus, toolbar, shortcuts and the F1 sheet, from one table.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QThreadPool, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QVBoxLayout, QWidget

from desktop.core import settings as options
from desktop.qt import actions as table
from desktop.qt import dialogs, progress_dock
from desktop.qt.batch_arrival import BatchArrival
from desktop.qt.correction_panel import CorrectionPanel
from desktop.qt.document_list import DocumentQueue, DropTarget
from desktop.qt.documents import DocumentController
from desktop.qt.file_menus import ExportMenu, RecentMenu
from desktop.qt.navigator import ReviewNavigator
from desktop.qt.page_view import PageView
from desktop.qt.pages import ThumbnailStrip
from desktop.qt.recognition import RecognitionController
from desktop.qt.settings_store import SettingsStore
from desktop.qt.status_bar import BackendBanner, ReviewBanner, StatusFields, TurnBanner
from desktop.qt.undo import UndoController
from inference.errors import NoteLassoError

log = logging.getLogger(__name__)
__all__ = ["MainWindow"]


class MainWindow(QMainWindow):
    """One document at a time. Replace ``error_hook`` / ``password_hook`` to capture dialogs (tests)."""

    def __init__(self, settings: SettingsStore, *, store_dir: Path | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.error_hook = lambda title, message, hint: dialogs.show_error_dialog(self, title, message, hint)
        self.password_hook = lambda filename, is_retry: dialogs.ask_password_dialog(self, filename, is_retry)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self.undo = UndoController(self, report=self._report)
        self.view, self.thumbs, self.panel = PageView(), ThumbnailStrip(), CorrectionPanel()
        self.documents = DocumentController(
            settings,
            self.view,
            self.thumbs,
            self.undo,
            report=self._report,
            ask_password=lambda name, retry: self.password_hook(name, retry),
            store_dir=store_dir,
            parent=self,
        )
        self.recognition = RecognitionController(settings, self.documents, self.pool, parent=self)
        self.navigator = ReviewNavigator(
            self.documents, self.recognition, self.view, self.panel, self.undo, settings, self._report, parent=self
        )
        self.banner, self.review_banner, self.turn_banner = BackendBanner(), ReviewBanner(), TurnBanner()
        self.status = StatusFields(self.statusBar())
        self.undo.tell = lambda text: self.status.message(text, 4000)
        self.doc_list = DocumentQueue(self.documents, settings, self.status.message, self)
        self.drops = DropTarget(self, through=[self.view])  # files and folders dropped anywhere join the list
        self._build_layout()
        self._build_commands()
        self._wire()
        self.resize(self.screen().availableGeometry().size().boundedTo(QSize(1480, 940)))
        self._update_title()
        self._update_actions()
        # The back end loads once the first page is up (or soon, with no document).
        QTimer.singleShot(600, self.recognition.ensure_backend)

    def _build_layout(self) -> None:
        self.empty_hint = QLabel("Drop scanned notes or a folder of them here, or press Ctrl+O to open them.")
        self.empty_hint.setObjectName("emptyHint")
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        for widget in (self.banner, self.review_banner, self.turn_banner, self.empty_hint, self.view):
            lay.addWidget(widget, 1 if widget in (self.empty_hint, self.view) else 0)
        self.view.hide()
        self.setCentralWidget(central)
        self.pages_dock = self._dock("Pages", "pagesDock", self.thumbs, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.review_dock = self._dock("Review", "reviewDock", self.panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.progress_dock = progress_dock.ProgressDock(self.documents, self.navigator, self)  # View > Review progress
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.doc_list.dock)
        self.resizeDocks([self.review_dock], [420], Qt.Orientation.Horizontal)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self, features=QDockWidget.DockWidgetFeature.DockWidgetMovable)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_commands(self) -> None:
        self.export_menu = ExportMenu(
            self.documents, self.navigator.commit_edit, self._report, self.status.message, self, settings=self.settings
        )
        self.commands = table.build_actions(self)
        self.commands["lasso"].setChecked(True)
        self.doc_list.bind_toggle(self.commands["document_list"])
        menus = table.build_menus(self.menuBar(), self.commands)
        file_menu = menus["File"]
        self.recent_menu = RecentMenu(self.settings, self.open_path, self)
        file_menu.insertMenu(self.commands["export"], self.recent_menu)
        file_menu.insertMenu(self.commands["settings"], self.export_menu)
        self.page_label, self.zoom_label = QLabel("–"), QLabel("100%")
        self.page_label.setObjectName("pageLabel")
        self.zoom_label.setObjectName("zoomLabel")
        self.toolbar = table.build_toolbar(self.commands, {"page": self.page_label, "zoom": self.zoom_label})
        self.addToolBar(self.toolbar)

    def _wire(self) -> None:
        docs, rec, nav, status = self.documents, self.recognition, self.navigator, self.status
        self.banner.settings_requested.connect(self.show_settings)
        self.drops.dropped.connect(self.doc_list.add_paths)
        self.view.zoom_changed.connect(lambda zoom: self.zoom_label.setText(f"{zoom * 100:.0f}%"))
        self.undo.stack.indexChanged.connect(self._update_actions)
        nav.selection_changed.connect(self._update_actions)
        nav.message.connect(status.message)
        nav.counts_changed.connect(status.show_counts)
        docs.opened.connect(self._on_document_opened)
        docs.review_opened.connect(self.review_banner.show_review)
        docs.sign_off_changed.connect(lambda text: self.review_banner.show_review(False, text))
        docs.closed.connect(self.review_banner.hide)
        self.batch_arrival = BatchArrival(docs, nav, self.review_banner, self.statusBar(), parent=self)
        docs.page_rendering.connect(lambda index: status.message(f"Rendering page {index + 1}…"))
        docs.page_shown.connect(lambda _index: status.clear_message())
        docs.page_unavailable.connect(lambda index: status.message(f"Page {index + 1} cannot be shown."))
        for signal in (docs.page_rendering, docs.page_shown, docs.closed):
            signal.connect(self._update_title)
            signal.connect(self._update_actions)
        rec.backend_loading.connect(status.show_remote)
        rec.backend_loading.connect(lambda _host: status.show_backend("Loading model…"))
        rec.backend_ready.connect(status.show_backend)
        rec.backend_ready.connect(self.banner.hide)
        rec.backend_failed.connect(status.show_backend_failed)
        rec.backend_failed.connect(lambda message, _no_model: self.banner.show_message(message))
        rec.latency_measured.connect(status.show_latency)
        nav.second_reader.state_changed.connect(status.show_second_reader)
        rec.region_read.connect(lambda _rid, turn: status.show_auto_turn(turn))
        rec.region_read.connect(lambda _rid, turn: self.turn_banner.offer(turn))
        self.turn_banner.turn_requested.connect(self.view.rotate_page)
        docs.page_rendering.connect(lambda _index: self.turn_banner.hide())
        rec.region_failed.connect(lambda _rid, message: status.message(f"Could not read the region: {message}", 8000))
        status.show_remote(options.remote_host(self.settings.values()) or "")

    # ------------------------------------------------------------------ documents
    def open_path(self, path: str | Path) -> bool:
        """Open a document and its review session. Errors go to ``error_hook``; returns success."""
        return self.documents.open(path)

    def _on_document_opened(self, _path: str) -> None:
        self.pages_dock.setVisible(self.documents.page_count > 1)
        self.empty_hint.hide()
        self.view.show()

    def set_tool(self, tool: str) -> None:
        """Lasso, rectangle or select-and-move (a ``page_view.Tool``); its action shows checked."""
        self.view.set_tool(tool)
        self.commands[tool].setChecked(True)

    def show_shortcuts(self) -> None:
        dialogs.ShortcutsDialog(self).exec()

    # ------------------------------------------------------------------ settings
    def show_settings(self) -> None:
        dlg = dialogs.SettingsDialog(self.settings.values(), self, pool=self.pool)
        if dlg.exec() == dialogs.QDialog.DialogCode.Accepted:
            self.apply_settings(dlg.values())

    def apply_settings(self, values: dict[str, Any]) -> None:
        """Store the settings the user chose; reopen the back end if one of its options changed."""
        before = self.settings.values()
        for key, value in values.items():
            self.settings.set(key, value)
        self.settings.sync()
        after = self.settings.values()
        if any(before[k] != after[k] for k in after if k.startswith("backend/")):
            self.recognition.open_backend()
        if before["document/dpi"] != after["document/dpi"] and self.documents.session is not None:
            self.status.message("The new dpi applies to documents opened from now on", 6000)
        self.navigator.refresh()

    def _report(self, title: str, exc: Exception) -> None:
        """The one place the window turns an error into words for staff."""
        if isinstance(exc, NoteLassoError):
            self.error_hook(title, exc.user_message, exc.hint)
        else:
            log.error("unexpected error: %s", title, exc_info=exc)
            self.error_hook(title, f"Unexpected error ({type(exc).__name__}).", "See the log for details.")

    # ------------------------------------------------------------------ chrome
    def _update_title(self, *_args: object) -> None:
        doc, index = self.documents.document, self.documents.page_index
        if doc is None:
            self.setWindowTitle("NoteLasso")
            self.page_label.setText("–")
            return
        ro = " (read-only)" if self.documents.session and self.documents.session.is_read_only else ""
        self.setWindowTitle(f"{doc.path.name}{ro} — page {index + 1} of {doc.page_count} — NoteLasso")
        self.page_label.setText(f"  {index + 1} / {doc.page_count}  ")

    def _update_actions(self, *_args: object) -> None:
        session = self.documents.session
        has_doc, can_edit = session is not None, session is not None and not session.is_read_only
        table.update_enabled(
            self.commands, has_document=has_doc, has_region=can_edit and self.navigator.current_id is not None
        )
        acts = self.commands
        table.update_undo(acts, self.undo.stack, can_edit=can_edit)
        self.export_menu.setEnabled(has_doc)
        acts["prev_page"].setEnabled(self.documents.page_index > 0)
        acts["next_page"].setEnabled(self.documents.page_index < self.documents.page_count - 1)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.documents.close()
        self.pool.waitForDone(5000)
        self.recognition.close()
        self.settings.set_raw("window/geometry", self.saveGeometry())
        self.settings.set_raw("window/state", self.saveState())
        self.settings.sync()
        super().closeEvent(event)
