"""A document a batch run read (``notelasso batch``): say so, and open it at its first doubtful region.

When a review carries a batch mark (:mod:`desktop.core.batch_mark`), the review banner says who
read it, when and with which model, a "batch-read" badge sits in the status bar (its tooltip says
the same), and once the first page is shown the selection goes to the first region that needs a
look, as F8 would: the reviewer starts correcting at once.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QStatusBar

from desktop.core.batch_mark import BatchMark, read_mark
from desktop.qt.documents import DocumentController
from desktop.qt.navigator import ReviewNavigator
from desktop.qt.status_bar import ReviewBanner

__all__ = ["BatchArrival"]


class BatchArrival(QObject):
    """Shows the batch mark of the review opened; ``mark`` is it (None for a review no batch read)."""

    def __init__(
        self,
        documents: DocumentController,
        navigator: ReviewNavigator,
        banner: ReviewBanner,
        bar: QStatusBar,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._documents, self._navigator, self._banner = documents, navigator, banner
        self.mark: BatchMark | None = None
        self._go_to_doubtful = False
        self.badge = QLabel("Batch-read")
        self.badge.setObjectName("batchBadge")
        self.badge.hide()
        bar.addPermanentWidget(self.badge)
        documents.opened.connect(self._on_opened)
        documents.page_shown.connect(self._on_page_shown)
        documents.closed.connect(self._on_closed)

    def _on_opened(self, _path: str) -> None:
        session = self._documents.session
        self.mark = read_mark(session.store) if session is not None else None
        self._go_to_doubtful = self.mark is not None
        if self.mark is None or session is None:
            self.badge.hide()
            return
        told = self.mark.describe()
        self.badge.setToolTip(told)
        self.badge.show()
        # The notices of the opening (read-only, salvaged, a copy) come first, as the banner showed them.
        self._banner.show_review(session.is_read_only, f"{' '.join(session.opening.notices)} {told}".strip())

    def _on_page_shown(self, _index: int) -> None:
        if self._go_to_doubtful:
            self._go_to_doubtful = False
            self._navigator.next_doubtful()

    def _on_closed(self) -> None:
        self.mark, self._go_to_doubtful = None, False
        self.badge.hide()
