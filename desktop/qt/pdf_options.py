"""The searchable PDF's options: page image resolution and quality, with a preview of the text layer.

The two editors come from the settings table (``export/pdf_dpi``, ``export/pdf_quality``), so the
choice is remembered; the preview is the current page exported with those options in memory
(:func:`desktop.core.pdf_preview.preview_pdf_page`), drawn as a reader shows it, with the words of
its invisible text layer made visible where a search would find them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.core import settings as table
from desktop.core.export_pdf import PdfOptions, describe_quality
from desktop.core.pdf_preview import PdfPreview, preview_pdf_page
from desktop.qt.settings_form import SettingField, add_field_row, make_field
from desktop.qt.settings_store import SettingsStore
from desktop.qt.workers import user_text

if TYPE_CHECKING:
    from desktop.core.session import ReviewSession
    from inference.documents import Document

__all__ = ["OPTION_KEYS", "PdfOptionsDialog", "draw_preview"]

OPTION_KEYS = ("export/pdf_dpi", "export/pdf_quality")
PREVIEW_WIDTH = 640
_WASH = QColor(255, 255, 255, 190)  # the page fades behind the text layer, so its words read clearly
_WORD_FILL = QColor(255, 214, 0, 70)
_WORD_EDGE = QColor(0, 90, 200, 200)
_WORD_TEXT = QColor(0, 60, 170)


def draw_preview(preview: PdfPreview, *, show_text: bool) -> QPixmap:
    """The exported page as a reader draws it; with ``show_text``, the page faded and each word of
    the text layer boxed and written in blue over the place it occupies."""
    h, w = preview.image.shape[:2]
    image = QImage(preview.image.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    if show_text:
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.fillRect(0, 0, w, h, _WASH)
        font = QFont()
        for x0, y0, x1, y1, text in preview.words:
            box = QRectF(x0, y0, x1 - x0, y1 - y0)
            painter.fillRect(box, _WORD_FILL)
            painter.setPen(_WORD_EDGE)
            painter.drawRect(box)
            font.setPixelSize(max(6, round(box.height() * 0.7)))
            painter.setFont(font)
            painter.setPen(_WORD_TEXT)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.end()
    return QPixmap.fromImage(image)


class PdfOptionsDialog(QDialog):
    """Asks how the PDF's page images go in; ``options()`` is the choice, stored on accept."""

    preview_shown = Signal()  # a preview for the options shown is on screen (or its failure)

    def __init__(
        self,
        settings: SettingsStore,
        session: ReviewSession,
        document: Document,
        page_index: int,
        *,
        unreadable_below: float = 0.0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Searchable PDF options")
        self.setObjectName("pdfOptionsDialog")
        self._settings, self._session, self._document = settings, session, document
        self._page, self._floor = page_index, unreadable_below
        self.preview: PdfPreview | None = None
        form = QFormLayout()
        self.fields: dict[str, SettingField] = {}
        for key in OPTION_KEYS:
            field = make_field(table.setting(key), settings.get(key), self)
            field.on_change(lambda _value: self._schedule())
            add_field_row(form, field)
            self.fields[key] = field
        note = QLabel(
            "Original keeps a PDF's pages as they are (its own images and text) and a scan's own pixels. "
            "A lower resolution or JPEG gives a smaller file; the text layer is the same either way."
        )
        note.setWordWrap(True)
        note.setObjectName("pdfOptionsNote")
        self.show_text = QCheckBox("Show the text layer (drawn in blue where a search finds each word)")
        self.show_text.setChecked(True)
        self.show_text.toggled.connect(self._show)
        self.picture = QLabel()
        self.picture.setObjectName("pdfPreview")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea()
        scroll.setWidget(self.picture)
        scroll.setWidgetResizable(True)
        scroll.setMinimumSize(PREVIEW_WIDTH + 24, 560)
        self.info = QLabel("")
        self.info.setObjectName("pdfPreviewInfo")
        self.info.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = buttons.addButton("Export…", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(note)
        lay.addWidget(QLabel(f"Preview of page {page_index + 1}, as the exported file shows it:"))
        lay.addWidget(scroll, 1)
        lay.addWidget(self.show_text)
        lay.addWidget(self.info)
        lay.addWidget(buttons)
        self._schedule()

    def options(self) -> PdfOptions:
        """The options chosen in the editors."""
        return PdfOptions.from_settings({key: field.value() for key, field in self.fields.items()})

    def accept(self) -> None:
        for key, field in self.fields.items():
            self._settings.set(key, field.value())
        self._settings.sync()
        super().accept()

    # ------------------------------------------------------------------ preview
    def _schedule(self) -> None:
        self.info.setText("Rendering the preview…")
        QTimer.singleShot(0, self.refresh)  # the words above are painted before the work starts

    def refresh(self) -> None:
        """Export the page in memory with the options shown and show it (a page takes well under a second)."""
        options = self.options()
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.preview = preview_pdf_page(
                self._session, self._document, self._page, options, width=PREVIEW_WIDTH, unreadable_below=self._floor
            )
        except Exception as exc:  # noqa: BLE001 - the export will say the same; the dialog stays usable
            self.preview = None
            self.picture.clear()
            self.info.setText(f"No preview: {user_text(exc)}")
            self.preview_shown.emit()
            return
        finally:
            QApplication.restoreOverrideCursor()
        self._show()
        self.info.setText(self._describe(self.preview, options))
        self.preview_shown.emit()

    def _show(self) -> None:
        if self.preview is not None:
            self.picture.setPixmap(draw_preview(self.preview, show_text=self.show_text.isChecked()))

    @staticmethod
    def _describe(preview: PdfPreview, options: PdfOptions) -> str:
        if preview.embedded_size is None:
            image = "page copied as it is (its own content)"
        else:
            (w, h), dpi = preview.embedded_size, preview.embedded_dpi or 0
            image = f"page image {w} x {h} px ({dpi:.0f} dpi), {describe_quality(options.jpeg_quality)}"
        n = len(preview.words)
        words = f"{n} word{'s' if n != 1 else ''} in the text layer" if n else "no text on this page yet"
        return f"{image} · about {max(1, round(preview.page_bytes / 1024))} kB for this page · {words}"
