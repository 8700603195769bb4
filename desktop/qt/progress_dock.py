"""The review-progress view: per page, how many regions there are, how many a person reviewed and
how many doubtful or unreadable ones are left, with the document's total. A dock (View > Review
progress); clicking a page's row shows that page. The counts are :mod:`desktop.core.progress`'s."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHeaderView,
    QLabel,
    QMainWindow,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.core.progress import PageProgress, document_progress, page_progress
from desktop.qt.documents import DocumentController
from desktop.qt.navigator import ReviewNavigator

__all__ = ["COLUMNS", "ProgressDock"]

COLUMNS = ("Page", "Regions", "Reviewed", "Doubtful", "Unreadable")
DONE = "\u2713 "  # before the number of a page whose every region is reviewed


def _cells(row: PageProgress) -> tuple[str, ...]:
    page = "Document" if row.page is None else f"{DONE if row.is_done else ''}{row.page + 1}"
    return (page, str(row.regions), str(row.reviewed), str(row.doubtful), str(row.unreadable))


def summary(total: PageProgress) -> str:
    """Two short lines for the top of the view, e.g. "5 of 24 regions reviewed / 3 doubtful · 1 unreadable left"."""
    if not total.regions:
        return "No regions yet: draw round the text,\nor Review > Read whole page"
    left = f"{total.doubtful} doubtful · {total.unreadable} unreadable left"
    return f"{total.reviewed} of {total.regions} regions reviewed\n{left}"


class ProgressDock(QDockWidget):
    """The progress table, kept up to date with every change to the review (through the navigator)."""

    def __init__(self, documents: DocumentController, navigator: ReviewNavigator, window: QMainWindow) -> None:
        super().__init__("Review progress", window)
        self.setObjectName("progressDock")
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)  # hidden and shown from the View menu
        self._documents, self._navigator = documents, navigator
        self.rows: list[PageProgress] = []
        self.total = PageProgress(None)
        self.summary = QLabel(summary(self.total))
        self.summary.setObjectName("progressSummary")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # Fixed widths, taken once from the headers: a column that resizes with its contents or the
        # dock, beside a scroll bar that comes and goes, can set off a layout loop in Qt.
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        widths = [header.fontMetrics().horizontalAdvance(f"  {name}  ") + 8 for name in COLUMNS]
        widths[0] = max(widths[0], header.fontMetrics().horizontalAdvance("  Document  ") + 8)
        for column, width in enumerate(widths):
            header.resizeSection(column, width)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.table.setMinimumWidth(sum(widths) + 2 * self.table.frameWidth() + 24)
        self.table.setToolTip("Click a page to go there; \u2713: every region on it is reviewed")
        self.table.cellClicked.connect(lambda row, _col: self.go_to_row(row))
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(6, 4, 6, 6)
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)
        self.setWidget(body)
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self)
        self.hide()  # shown on request: the page keeps its width (the status bar counts the document)
        navigator.counts_changed.connect(lambda _n, _reviewed: self.refresh())
        documents.closed.connect(self.refresh)

    def toggle(self) -> None:
        """View > Review progress: show or hide the view."""
        self.setVisible(self.isHidden())
        if not self.isHidden():
            self.refresh()

    def refresh(self) -> None:
        """Count again from the session (cheap: one pass over the regions)."""
        session, count = self._documents.session, self._documents.page_count
        regions = session.regions() if session is not None else []
        nav = self._navigator
        doubtful = nav.triage.is_doubtful  # the triage score with its threshold, as F8
        self.rows = (
            page_progress(regions, count, nav.threshold, nav.unreadable_below, doubtful) if session is not None else []
        )
        self.total = document_progress(self.rows)
        self.summary.setText(summary(self.total) if session is not None else "No document open")
        bold = QFont(self.table.font())
        bold.setBold(True)
        self.table.setRowCount(len(self.rows) + (1 if self.rows else 0))
        for r, row in enumerate([*self.rows, self.total] if self.rows else []):
            for c, text in enumerate(_cells(row)):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter if c else Qt.AlignmentFlag.AlignLeft)
                if row.page is None or row.page == self._documents.page_index:
                    item.setFont(bold)  # the total, and the page shown
                if (c == 3 and row.doubtful) or (c == 4 and row.unreadable):
                    item.setToolTip("Still to check: F8 goes to the next one")
                self.table.setItem(r, c, item)

    def go_to_row(self, row: int) -> None:
        """Show the page of a row (the total's row stays where it is)."""
        page = self.rows[row].page if 0 <= row < len(self.rows) else None
        if page is not None:
            self._documents.show_page(page)
