"""The File menu's two submenus: documents opened recently, and export in every format.

A searchable PDF first asks for its options (page image resolution and quality, with a preview of
the text layer: :class:`~desktop.qt.pdf_options.PdfOptionsDialog`); they are remembered in settings.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QDialog, QFileDialog, QMenu, QWidget

from desktop.core.export import FORMATS, PdfOptions, export_session
from desktop.qt.documents import DocumentController
from desktop.qt.pdf_options import PdfOptionsDialog
from desktop.qt.settings_store import SettingsStore
from inference.errors import NoteLassoError
from inference.models import RESOURCES

__all__ = ["ExportMenu", "RecentMenu", "export_folder", "written_message"]

#: What a format's menu entry must tell before the reviewer chooses a name.
MENU_NOTES = {"page": " (one file per page)"}


#: Formats whose files share an extension: their offered names carry the format too.
SHARED_EXTENSION = frozenset({"alto", "page"})
LAST_FOLDER_KEY = "export/last_folder"


def export_folder(document: Path) -> Path:
    """Where an export of ``document`` is offered: beside it, or the home folder when that folder
    cannot be written (a read-only share) or belongs to the app (the shipped sample note)."""
    folder = document.parent
    shipped = folder.resolve().is_relative_to(RESOURCES.resolve())
    return Path.home() if shipped or not os.access(folder, os.W_OK) else folder


def written_message(written: list[Path]) -> str:
    """What the status bar says of an export: the file, or how many files and their names."""
    if len(written) == 1:
        return f"Exported {written[0].name}"
    return f"Exported {len(written)} files, one per page: {written[0].name} … {written[-1].name}"


class RecentMenu(QMenu):
    """Lists the recent files when it opens; choosing one calls ``open_path``."""

    def __init__(self, settings: SettingsStore, open_path: Callable[[str], object], parent: QWidget) -> None:
        super().__init__("Open &recent", parent)
        self._settings, self._open_path = settings, open_path
        self.aboutToShow.connect(self._fill)

    def _fill(self) -> None:
        self.clear()
        for f in self._settings.recent_files():
            act = self.addAction(Path(f).name)
            act.setToolTip(f)
            act.triggered.connect(lambda _=False, p=f: self._open_path(p))
        if self.isEmpty():
            self.addAction("(none)").setEnabled(False)


class ExportMenu(QMenu):
    """Whole document / current page, each in every export format; asks where to save.

    ``before_export()`` runs first (the window saves an edit in progress); ``report(title, error)``
    and ``message(text, ms)`` tell the user how it went. With ``settings``, regions the model could
    not read (``review/unreadable_below``) are exported with empty text, never the model's junk.
    """

    def __init__(
        self,
        documents: DocumentController,
        before_export: Callable[[], object],
        report: Callable[[str, Exception], None],
        message: Callable[[str, int], None],
        parent: QWidget,
        *,
        settings: SettingsStore | None = None,
    ) -> None:
        super().__init__("&Export", parent)
        self._settings = settings
        self._documents, self._before, self._report, self._message = documents, before_export, report, message
        #: Asks for the searchable PDF's options (None: cancelled); tests replace it
        self.ask_pdf_options: Callable[[], PdfOptions | None] = self._ask_pdf_options
        for scope, label in (("document", "Whole document"), ("page", "Current page")):
            sub = self.addMenu(label)
            for fmt, (name, ext) in FORMATS.items():
                act = sub.addAction(f"{name} (.{ext.lstrip('.')}){MENU_NOTES.get(fmt, '')}…")
                act.triggered.connect(lambda _=False, f=fmt, s=scope: self.choose(f, s))

    def choose(self, fmt: str, scope: str) -> None:
        """Ask for a file name, then export ``scope`` ("document" or "page") as ``fmt``."""
        session = self._documents.session
        if session is None:
            return
        self._before()
        options = None
        if fmt == "pdf" and (options := self.ask_pdf_options()) is None:
            return
        name, ext = FORMATS[fmt]
        ext = ext.lstrip(".")
        page = self._documents.page_index
        suffix = f"-p{page + 1}" if scope == "page" else ""
        kind = f".{fmt}" if fmt in SHARED_EXTENSION else ""  # ALTO and PAGE are both .xml: not one name for both
        folder = self._last_folder() or export_folder(session.document_path)
        default = f"{folder / session.document_path.stem}{suffix}{kind}.{ext}"
        path, _ = QFileDialog.getSaveFileName(self.parentWidget(), f"Export {name}", default, f"{name} (*.{ext})")
        if path:
            if self._settings is not None:
                self._settings.set_raw(LAST_FOLDER_KEY, str(Path(path).parent))
            self.export_to(fmt, Path(path), pages=[page] if scope == "page" else None, pdf_options=options)

    def _last_folder(self) -> Path | None:
        """The folder the reviewer last exported to, while it is there to write in."""
        value = self._settings.raw(LAST_FOLDER_KEY) if self._settings is not None else None
        folder = Path(str(value)) if value else None
        return folder if folder is not None and folder.is_dir() and os.access(folder, os.W_OK) else None

    def _floor(self) -> float:
        return float(self._settings.get("review/unreadable_below")) if self._settings is not None else 0.0

    def _ask_pdf_options(self) -> PdfOptions | None:
        docs = self._documents
        if self._settings is None or docs.session is None or docs.document is None:
            return PdfOptions()
        dialog = PdfOptionsDialog(
            self._settings, docs.session, docs.document, docs.page_index, unreadable_below=self._floor(), parent=self
        )
        return dialog.options() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def export_to(
        self, fmt: str, path: Path, *, pages: list[int] | None = None, pdf_options: PdfOptions | None = None
    ) -> bool:
        """Write the export; errors are reported. Returns success.

        A searchable PDF takes ``pdf_options``, else those remembered in settings.
        """
        session = self._documents.session
        if session is None:
            return False
        if pdf_options is None and self._settings is not None:
            pdf_options = PdfOptions.from_settings(self._settings.values())
        try:
            written = export_session(
                session,
                fmt,
                path,
                pages=pages,
                document=self._documents.document,
                unreadable_below=self._floor(),
                pdf_options=pdf_options,
            )
        except NoteLassoError as exc:
            self._report("Export failed", exc)
            return False
        self._message(written_message(written), 8000)
        return True
