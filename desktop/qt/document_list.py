"""The document list: the session's open and queued documents in a dock, and files dropped on the window.

:class:`DocumentQueue` keeps a :class:`~desktop.core.document_list.DocumentList` and shows it in a
dock (View > Document list). Documents join it from Open… (several files at once), a drop of files
or folders, Open recent, the command line; a click (or Enter) on one, or Ctrl+PgDn / Ctrl+PgUp,
switches to it through :meth:`DocumentController.open`, which saves the current review first. A
document that will not open stays in the list with the reason, and the open one stays open.

:class:`DropTarget` watches the window for drags of local files: a drop anywhere on it adds what
was dropped (see :func:`~desktop.core.document_list.gather_documents`) and opens the first file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QDockWidget,
    QFileDialog,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QWidget,
)

from desktop.core import review
from desktop.core.document_list import DocumentList, gather_documents
from desktop.qt.documents import DocumentController
from desktop.qt.settings_store import SettingsStore

__all__ = ["OPEN_FILTER", "DocumentQueue", "DropTarget"]

OPEN_FILTER = "Scanned notes (*.pdf *.tif *.tiff *.png *.jpg *.jpeg *.bmp);;All files (*)"

#: ``message(text, ms)``: a passing word in the status bar.
Message = Callable[[str, int], None]


class DropTarget(QObject):
    """Accepts drags of local files and folders onto ``window`` (or any child that does not take
    them itself) and emits the dropped paths, once the drop has returned.

    ``through``: children that would take drops themselves and do nothing with them (a
    QGraphicsView accepts every drag for its scene); they let drops through to the window.
    """

    dropped = Signal(list)  # list[str]: local paths, in the order dragged

    def __init__(self, window: QWidget, *, through: Sequence[QWidget] = ()) -> None:
        super().__init__(window)
        for widget in through:
            widget.setAcceptDrops(False)
            if isinstance(widget, QAbstractScrollArea):
                widget.viewport().setAcceptDrops(False)
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove) and isinstance(event, QDragEnterEvent | QDropEvent):
            if _local_paths(event):
                event.acceptProposedAction()
                return True
        elif kind == QEvent.Type.Drop and isinstance(event, QDropEvent):
            paths = _local_paths(event)
            if paths:
                event.acceptProposedAction()
                # opening may ask for a password: never inside the drag-and-drop loop
                QTimer.singleShot(0, lambda: self.dropped.emit(paths))
                return True
        return super().eventFilter(watched, event)


def _local_paths(event: QDropEvent) -> list[str]:
    mime = event.mimeData()
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []


class DocumentQueue(QObject):
    """The session's documents: adds them, shows them in ``dock`` and switches between them."""

    def __init__(
        self, documents: DocumentController, settings: SettingsStore, message: Message, window: QWidget
    ) -> None:
        super().__init__(window)
        self._documents, self._settings, self._message, self._window = documents, settings, message, window
        self.model = DocumentList()
        self._tried: int | None = None  # the entry last opened or tried: Ctrl+PgDn steps on from it
        self._toggle: QAction | None = None
        self._shown_once = False
        self._note = ""  # what to say once the page being opened is shown
        self.list = QListWidget()
        self.list.setObjectName("documentList")
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # long reasons wrap
        self.list.setToolTip("Click a document to switch to it (its review is saved first).")
        self.list.itemClicked.connect(lambda item: self.switch_to(self.list.row(item)))
        self.list.itemActivated.connect(lambda item: self.switch_to(self.list.row(item)))
        self.dock = QDockWidget("Documents", window)
        self.dock.setObjectName("documentsDock")
        self.dock.setWidget(self.list)
        self.dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.dock.hide()
        self.dock.visibilityChanged.connect(lambda _v: self._sync_toggle())
        documents.opened.connect(self._on_opened)
        documents.open_failed.connect(self._on_open_failed)
        documents.session_changed.connect(lambda _event, _region: self._refresh_counts())
        documents.closed.connect(self._refresh)
        documents.page_shown.connect(lambda _index: self._say_note())

    # ------------------------------------------------------------------ adding
    def choose(self) -> None:
        """Open…: pick one or several files; all join the list and the first is opened."""
        recent = self._settings.recent_files()
        start = str(Path(recent[0]).parent) if recent else ""
        paths, _ = QFileDialog.getOpenFileNames(self._window, "Open scanned notes", start, OPEN_FILTER)
        if paths:
            self.add_paths(paths)

    def add_paths(self, paths: Sequence[str | Path], *, open_first: bool = True) -> list[int]:
        """Add files and folders' supported files; say once what was skipped; open the first added.

        Returns the list entries of the documents added (or already listed).
        """
        gathered = gather_documents(paths)
        indices = self.model.add(gathered.files)
        self._refresh()
        if len(self.model) > 1 and not self._shown_once:
            self._shown_once = True  # shown when it first holds a choice; the reviewer may close it
            self.dock.show()
        generation = self._documents.generation
        if indices and open_first:
            self.switch_to(indices[0])
        note = gathered.describe_skipped() or ("" if indices else "Nothing to open in what was dropped.")
        if note and self._documents.generation != generation:
            self._note = note  # said once the page is up (showing it clears the status bar)
        elif note:
            self._message(note, 10000)
        return indices

    def _say_note(self) -> None:
        if self._note:
            note, self._note = self._note, ""
            QTimer.singleShot(0, lambda: self._message(note, 10000))  # after the window clears the bar

    # ------------------------------------------------------------------ switching
    def switch_to(self, index: int) -> bool:
        """Open the document of entry ``index`` (the open review is saved first); True if it is open."""
        if not 0 <= index < len(self.model):
            return False
        self._tried = index
        if index == self.model.current and self._documents.document is not None:
            return True
        return self._documents.open(self.model.entries[index].path)

    def next_document(self) -> None:
        self._step(1)

    def previous_document(self) -> None:
        self._step(-1)

    def _step(self, delta: int) -> None:
        index = self.model.step(delta, self._tried)
        if index is None:
            self._message("No next document in the list." if delta > 0 else "This is the first document.", 4000)
            return
        self.switch_to(index)

    # ------------------------------------------------------------------ the dock's toggle
    def bind_toggle(self, action: QAction) -> None:
        """The View menu's checkable action that shows or hides the list."""
        self._toggle = action
        self._sync_toggle()

    def toggle_list(self) -> None:
        visible = self._toggle.isChecked() if self._toggle is not None else self.dock.isHidden()
        self._shown_once = True
        self.dock.setVisible(visible)
        if visible:
            self.list.setFocus()

    def _sync_toggle(self) -> None:
        if self._toggle is not None:
            self._toggle.setChecked(not self.dock.isHidden())

    # ------------------------------------------------------------------ what the controller tells
    def _on_opened(self, path: str) -> None:
        index = self.model.add([path])[0]
        entry = self.model.entries[index]
        self.model.current = self._tried = index
        entry.error = ""
        entry.pages = self._documents.page_count
        self._refresh_counts()

    def _on_open_failed(self, path: str, why: str) -> None:
        index = self.model.add([path])[0]
        self.model.entries[index].error = why
        self._refresh()

    def _refresh_counts(self) -> None:
        session, index = self._documents.session, self.model.current
        if session is None or index is None:
            return
        regions = session.regions()
        entry = self.model.entries[index]
        entry.regions, entry.reviewed = len(regions), review.count_reviewed(regions)
        self._refresh()

    def _refresh(self) -> None:
        """Show the model: one item a document, the open one in bold, a warning on those that failed."""
        if self._documents.document is None:
            self.model.current = None
        style = self.list.style()
        while self.list.count() > len(self.model):
            self.list.takeItem(self.list.count() - 1)
        for i, entry in enumerate(self.model.entries):
            item = self.list.item(i)
            if item is None:
                item = QListWidgetItem()
                self.list.addItem(item)
            item.setText(f"{entry.path.name}\n{entry.describe()}")
            item.setToolTip(str(entry.path) + (f"\n{entry.error}" if entry.error else ""))
            item.setData(Qt.ItemDataRole.UserRole, str(entry.path))
            font = item.font()
            font.setBold(i == self.model.current)
            item.setFont(font)
            icon = (
                QStyle.StandardPixmap.SP_MessageBoxWarning
                if entry.error
                else QStyle.StandardPixmap.SP_ArrowRight
                if i == self.model.current
                else QStyle.StandardPixmap.SP_FileIcon
            )
            item.setIcon(style.standardIcon(icon))
        if self.model.current is not None:
            self.list.setCurrentRow(self.model.current)
