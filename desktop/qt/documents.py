"""The open document, its review session and the page on screen.

One document at a time: opening asks for a password when the file needs one, opens (or
resumes) its review session and shows the first page; page images come from a
:class:`~desktop.qt.pages.PageCache` rendered off the GUI thread. The session's events reach
the page view here and are passed on as ``session_changed`` for the review panel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from desktop.core.regions import Region
from desktop.core.session import ReviewSession
from desktop.qt.page_view import PageView
from desktop.qt.pages import PageCache, ThumbnailStrip
from desktop.qt.settings_store import SettingsStore
from desktop.qt.undo import UndoController
from inference.documents import Document, PasswordRequiredError, open_document
from inference.errors import NoteLassoError

log = logging.getLogger(__name__)

__all__ = ["DocumentController"]

#: ``report(title, error)``: tell staff an operation failed. ``ask_password(file name, is_retry)``.
Report = Callable[[str, Exception], None]
AskPassword = Callable[[str, bool], "str | None"]


class DocumentController(QObject):
    """Opens and closes documents, turns pages, and keeps the page view in step with the session."""

    opened = Signal(str)  # path; the first page is shown next
    open_failed = Signal(str, str)  # path, why (a user message); the open document, if any, stays open
    about_to_close = Signal()  # the document and session are still there
    closed = Signal()
    page_changing = Signal(int)  # another page is about to be shown (the edit on this one ends)
    page_rendering = Signal(int)  # the page is not rendered yet; it will be shown when it is
    page_shown = Signal(int)
    page_unavailable = Signal(int)  # the page cannot be drawn (damaged); it was reported
    page_image_ready = Signal(int)  # a page image is in the cache (shown or not)
    session_changed = Signal(str, object)  # event, Region | None
    review_opened = Signal(bool, str)  # read-only, what the reviewer must be told ("" if nothing)
    sign_off_changed = Signal(str)  # the sign-off signed or reopened, in words

    def __init__(
        self,
        settings: SettingsStore,
        view: PageView,
        thumbs: ThumbnailStrip,
        undo: UndoController,
        *,
        report: Report,
        ask_password: AskPassword,
        store_dir: Path | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings, self._view, self._thumbs, self._undo = settings, view, thumbs, undo
        self._report, self._ask_password, self._store_dir = report, ask_password, store_dir
        self.document: Document | None = None
        self.session: ReviewSession | None = None
        self.page_index = 0
        self.generation = 0  # bumped per document: work for an earlier one is dropped
        self._unsubscribe: Callable[[], None] | None = None
        self.pages = PageCache(parent=self)
        self.pages.page_ready.connect(self._on_page_ready)
        self.pages.page_failed.connect(self._on_page_failed)
        self.pages.thumb_ready.connect(lambda _gen, index, image: thumbs.set_thumbnail(index, image))
        thumbs.page_chosen.connect(self.show_page)
        view.rotation_changed.connect(self._on_rotation_changed)

    # ------------------------------------------------------------------ open and close
    def open(self, path: str | Path) -> bool:
        """Open a document and its review session, closing the current one. Errors are reported."""
        path = Path(path)
        doc = self._open_file(path)
        if doc is None:
            return False
        if self.document is not None and path.resolve() == self.document.path.resolve():
            self.close()  # reopening: one session per document file at a time
        try:
            session = ReviewSession.open(
                path,
                store_dir=self._store_dir,
                dpi=self._settings.get("document/dpi"),
                user=self._settings.get("review/reviewer") or None,
            )
        except NoteLassoError as exc:
            doc.close()
            self._report(f"Cannot open the review of {path.name}", exc)
            self.open_failed.emit(str(path), exc.user_message)
            return False
        self.close()
        self.document, self.session = doc, session
        self.generation += 1
        self._unsubscribe = session.subscribe(self._on_session_event)
        self._undo.attach(session)
        self._view.is_read_only = session.is_read_only
        self.review_opened.emit(session.is_read_only, " ".join(session.opening.notices))
        if (signed := session.sign_off_state()) is not None and not session.opening.notices:
            self.sign_off_changed.emit(signed.describe())
        self.pages.reset(doc, session.dpi)
        self._thumbs.set_count(doc.page_count)
        self._settings.add_recent(path)
        self.opened.emit(str(path))
        self.page_index = -1
        self.show_page(0)
        self.pages.request_thumbnails(min(doc.page_count, 200))
        log.info("opened a %s document: %d pages, %d regions", doc.kind, doc.page_count, len(session.regions()))
        return True

    def _open_file(self, path: Path) -> Document | None:
        password: str | None = None
        is_retry = False
        while True:
            try:
                return open_document(path, password)
            except PasswordRequiredError:
                password = self._ask_password(path.name, is_retry)
                if password is None:
                    self.open_failed.emit(str(path), "it is password-protected and no password was given.")
                    return None
                is_retry = True
            except NoteLassoError as exc:
                self._report(f"Cannot open {path.name}", exc)
                self.open_failed.emit(str(path), exc.user_message)
                return None

    def close(self) -> None:
        """Close the document and its session (their state is already saved)."""
        if self.document is None and self.session is None:
            return
        self.about_to_close.emit()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.session is not None:
            self.session.close()
        if self.document is not None:
            self.pages.reset(None, 200)
            self.pages.wait(3000)
            self.document.close()
        self.document, self.session = None, None
        self._undo.attach(None)
        self._view.set_page(None)
        self.closed.emit()

    # ------------------------------------------------------------------ pages
    @property
    def page_count(self) -> int:
        return self.document.page_count if self.document is not None else 0

    def show_page(self, index: int) -> None:
        """Show page ``index`` (0-based) now if it is rendered, else once it is."""
        if self.document is None or not 0 <= index < self.document.page_count:
            return
        if index != self.page_index:
            self.page_changing.emit(index)
        self.page_index = index
        self._thumbs.set_current(index)
        if self.pages.get(index) is None:
            self._view.set_page(None)
            self.page_rendering.emit(index)
            self.pages.request(index)
        else:
            self._display(index)

    def next_page(self) -> None:
        self.show_page(self.page_index + 1)

    def previous_page(self) -> None:
        self.show_page(self.page_index - 1)

    def _display(self, index: int) -> None:
        cached = self.pages.get(index)
        if cached is None or self.session is None:
            return
        self._view.set_page(cached[1])
        self._view.set_rotation(self.session.page_rotation(index))
        self._view.set_regions(self.session.regions(index))
        self.page_shown.emit(index)
        self.pages.request(index + 1)  # the next page is probably wanted soon

    def page_array(self, index: int) -> npt.NDArray[np.uint8] | None:
        """The page's pixels for recognition, or None while it is not rendered."""
        cached = self.pages.get(index)
        return None if cached is None else cached[0]

    def page_image(self, index: int) -> QImage | None:
        cached = self.pages.get(index)
        return None if cached is None else cached[1]

    def _on_page_ready(self, _gen: int, index: int) -> None:
        if index == self.page_index and not self._view.has_page:
            self._display(index)
        self.page_image_ready.emit(index)

    def _on_page_failed(self, _gen: int, index: int, exc: Exception) -> None:
        if index == self.page_index:
            self.page_unavailable.emit(index)
            self._report(f"Cannot show page {index + 1}", exc)

    def _on_rotation_changed(self, degrees: int) -> None:
        """The page was turned on screen: remember it with the review; new regions read that way."""
        if self.session is None or self.session.is_read_only or not self._view.has_page:
            return
        try:
            self.session.set_page_rotation(self.page_index, degrees)
        except NoteLassoError as exc:
            self._report("Cannot save the page turn", exc)

    def sign_off(self) -> None:
        """Sign the document off as the reviewer; refusal (a region not reviewed) is reported."""
        if self.session is None:
            return
        try:
            self.session.sign_off()
        except NoteLassoError as exc:
            self._report("Cannot sign the document off", exc)

    # ------------------------------------------------------------------ session events -> view
    def _on_session_event(self, event: str, region: Region | None) -> None:
        if event in ("signed", "reopened"):
            state = self.session.sign_off_state() if self.session else None
            self.sign_off_changed.emit(state.describe() if state else "")
            return
        if event == "reset" or region is None:
            self._view.set_regions(self.session.regions(self.page_index) if self.session else [])
        elif region.page == self.page_index:
            if event == "removed":
                self._view.remove_region(region.id)
            else:
                self._view.upsert_region(region)
        self.session_changed.emit(event, region)
