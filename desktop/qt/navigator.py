"""The reviewer's hands: drawing, selecting, editing and moving between regions from the keyboard.

Every change goes through the undo controller as a core operation (AddRegion, SetText,
SetStatus, Batch...), so it is saved and undoable. Where the keyboard goes next is decided by
the Qt-free rules of :mod:`desktop.core.review`; this part only shows the answer.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from desktop.core import review
from desktop.core.history import AddRegion, Batch, Operation, RemoveRegion, SetOrder, SetPolygon, SetStatus, SetText
from desktop.core.region_triage import next_triaged
from desktop.core.regions import Region, RegionStatus, moved_ranks
from desktop.qt.correction_panel import CorrectionPanel
from desktop.qt.crop_preview import review_crop, word_crops
from desktop.qt.documents import DocumentController
from desktop.qt.page_links import PageLinks
from desktop.qt.page_reader import PageReader
from desktop.qt.page_view import PageView
from desktop.qt.range_reader import RangeReader
from desktop.qt.recognition import RecognitionController
from desktop.qt.second_reader import SecondReaderController
from desktop.qt.settings_store import SettingsStore
from desktop.qt.spelling import WordChecker
from desktop.qt.triage_marks import TriageMarks
from desktop.qt.undo import UndoController
from inference.errors import NoteLassoError

__all__ = ["ReviewNavigator"]


class ReviewNavigator(QObject):
    """Owns the selection (``current_id``) and turns the reviewer's keys into session operations."""

    selection_changed = Signal()
    message = Signal(str, int)  # status-bar text, milliseconds
    counts_changed = Signal(int, int)  # regions in the document, of which reviewed

    def __init__(
        self,
        documents: DocumentController,
        recognition: RecognitionController,
        view: PageView,
        panel: CorrectionPanel,
        undo: UndoController,
        settings: SettingsStore,
        report: Callable[[str, Exception], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._documents, self._recognition, self._view, self._panel = documents, recognition, view, panel
        self._undo, self._settings, self._report = undo, settings, report
        self.current_id: str | None = None
        self._first_number, self._total = 1, 0  # the page's first region's number in the document; how many
        self._pending_select: str | None = None  # a Tab/F8 target waiting for its page to render
        self.page_reader = PageReader(documents, recognition, undo, view, report, parent=self)  # Ctrl+Shift+R
        self.page_reader.message.connect(self.message)
        self.page_reader.lines_added.connect(lambda ids: self.select(ids[0]))
        current = lambda: self._region(self.current_id)  # noqa: E731
        self.page_links = PageLinks(view, panel.editor, settings, current=current, threshold=lambda: self.threshold)
        self.selection_changed.connect(self.page_links.refresh)
        self.range_reader = RangeReader(documents, recognition, undo, view, report, parent=self)  # Read pages…
        self.range_reader.message.connect(self.message)
        self.range_reader.lines_added.connect(lambda ids: self._go_to_id(ids[0]))
        self.second_reader = SecondReaderController(settings, documents, recognition, panel, parent=self)  # Ctrl+T
        self.second_reader.message.connect(self.message)
        self.selection_changed.connect(lambda: self.second_reader.show_region(self.current_id))
        self.triage = TriageMarks(settings, documents, panel, self.second_reader, lambda: self.current_id, parent=self)
        self.triage.changed.connect(lambda rid: self.refresh(changed_id=rid))  # a second reading arrived
        self.selection_changed.connect(self.triage.show_current)
        view.region_drawn.connect(self._on_region_drawn)
        view.region_moved.connect(self._on_region_moved)
        view.region_clicked.connect(self.select)
        view.edit_requested.connect(self.edit_current)
        panel.region_activated.connect(self.select)
        panel.move_requested.connect(self._move)
        ed = panel.editor
        ed.accepted.connect(self.accept_and_next)
        ed.verified.connect(self.verify_and_next)
        ed.cancelled.connect(self.cancel_edit)
        ed.next_requested.connect(self.next_region)
        ed.previous_requested.connect(self.previous_region)
        documents.about_to_close.connect(self.commit_edit)
        documents.closed.connect(self._on_document_closed)
        documents.page_changing.connect(self._on_page_changing)
        documents.page_shown.connect(self._on_page_shown)
        documents.session_changed.connect(self._on_session_event)
        self.words = WordChecker(  # unknown words, their right-click menu, Ctrl+F8 (after page_shown above)
            documents, view, ed, current_id=lambda: self.current_id, select_region=self.select,
            threshold=lambda: self.threshold, floor=lambda: self.unreadable_below, report=report,
            doubtful=self.triage.flagged_words, explain=self.triage.explain, parent=self,
        )  # fmt: skip
        self.words.message.connect(self.message)
        self.words.lexicon_loaded.connect(lambda: recognition.use_vocabulary(self.words.lexicon))
        self.words.lexicon_loaded.connect(lambda: self.triage.use_words(self.words.lexicon))
        self.triage.attach_editor()  # the checks' marks and suggestions, over the spelling's

    @property
    def threshold(self) -> float:
        return float(self._settings.get("review/confidence_threshold"))

    @property
    def unreadable_below(self) -> float:
        """Mean confidence below which a reading is marked "unreadable — type it" (0: never)."""
        return float(self._settings.get("review/unreadable_below"))

    def _region(self, region_id: str | None) -> Region | None:
        session = self._documents.session
        return session.get(region_id) if session is not None and region_id else None

    # ------------------------------------------------------------------ selection
    def select(self, region_id: str | None) -> None:
        """Make ``region_id`` (on the page shown) the current region; None clears the selection."""
        if region_id == self.current_id and region_id is not None:
            return
        self.commit_edit()
        self.current_id = region_id
        self._view.select_region(region_id)
        self._show_current(self._region(region_id))
        self.selection_changed.emit()

    def _go_to(self, region: Region) -> None:
        """Select a region and put the cursor in its text, turning the page first if needed."""
        if region.page != self._documents.page_index:
            self._documents.show_page(region.page)
            if not self._view.has_page:  # still rendering: select it when the page is shown
                self._pending_select = region.id
                return
        self.select(region.id)
        self.page_links.follow(region.id)
        self.edit_current()

    def _go_to_id(self, region_id: str) -> None:
        region = self._region(region_id)
        if region is not None:
            self._go_to(region)

    def _step(self, delta: int) -> None:
        session = self._documents.session
        if session is None or not session.regions():
            return
        target = review.step(session.regions(), self.current_id, self._documents.page_index, delta)
        if target is None:
            self.commit_edit()
            self._view.setFocus()
            self.message.emit(
                "Last region in the document: draw the next one" if delta > 0 else "First region in the document", 4000
            )
            return
        self._go_to(target)

    def next_region(self) -> None:
        """Tab: the next region in reading order, across pages."""
        self._step(+1)

    def previous_region(self) -> None:
        """Shift+Tab: the previous region in reading order, across pages."""
        self._step(-1)

    def next_doubtful(self) -> None:
        """F8: the next region (wrapping round the document) holding a word the triage flags."""
        session = self._documents.session
        if session is None:
            return
        page, floor = self._documents.page_index, self.unreadable_below
        target = next_triaged(session.regions(), self.current_id, page, self.triage.is_doubtful, floor)
        if target is None:
            self.message.emit("No doubtful words nor unreadable regions left in this document", 4000)
        else:
            self._go_to(target)

    def next_unreviewed(self) -> None:
        """Ctrl+N: the next region (wrapping round the document) no person has corrected or verified."""
        session = self._documents.session
        if session is None:
            return
        target = review.next_unreviewed(session.regions(), self.current_id, self._documents.page_index)
        if target is None:
            self.message.emit("Every region of this document is reviewed", 4000)
        else:
            self._go_to(target)

    def move_up(self) -> None:
        """Alt+Up: the current region one place earlier in its page's order (exports follow it)."""
        self._move(-1)

    def move_down(self) -> None:
        """Alt+Down: the current region one place later in its page's order."""
        self._move(+1)

    def _move(self, delta: int) -> None:
        session, region = self._documents.session, self._region(self.current_id)
        if session is None or region is None:
            return
        self.commit_edit()
        ranks = moved_ranks(session.regions(region.page), region.id, delta)
        if ranks is None:
            self.message.emit(f"Already the {'first' if delta < 0 else 'last'} region on this page", 3000)
            return
        self._push(SetOrder.new(session, ranks, "Move region up" if delta < 0 else "Move region down"))

    # ------------------------------------------------------------------ editing
    def edit_current(self) -> None:
        """F2: put the cursor in the editor, at the first doubtful character if there is one."""
        ed = self._panel.editor
        if not ed.isEnabled():
            return
        ed.setFocus()
        marks = ed.highlighter.marked_positions()
        cursor = ed.textCursor()
        if not cursor.hasSelection():  # a word chosen on the page stays chosen, to be typed over
            cursor.setPosition(marks[0] if marks else len(ed.toPlainText()))
        ed.setTextCursor(cursor)

    def commit_edit(self) -> bool:
        """Save the editor's text to the current region if it changed. Returns True if saved."""
        region = self._region(self.current_id)
        text = self._panel.edited_text
        if region is None or not self._panel.editor.isEnabled() or text == self._shown_text(region):
            return False
        if not self._push(SetText(region_id=region.id, text=text)):
            return False  # not saved: the text stays in the editor to try again
        self._settle_editor()
        return True

    def _shown_text(self, region: Region) -> str:
        """What the editor starts from: "" for a region the model could not read."""
        return review.shown_text(region, self.unreadable_below)

    def _push(self, op: Operation) -> bool:
        """Apply a reviewer's change; one that cannot be saved (a full disk) is reported. Returns success."""
        typed = self._panel.edited_text
        try:
            self._undo.push(op)
        except NoteLassoError as exc:
            if self._panel.edited_text != typed:  # the session reloaded what was saved: keep what was typed
                self._panel.editor.setPlainText(typed)
                self._panel.editor.document().setModified(True)
            self._report("The change was not saved", exc)
            return False
        return True

    def _settle_editor(self) -> None:
        """After a commit the editor holds saved text: Ctrl+Z now means the session's undo."""
        doc = self._panel.editor.document()
        doc.clearUndoRedoStacks()
        doc.setModified(False)

    def accept_and_next(self) -> None:
        """Enter: keep the text (saving any change) and go on; stay when the change could not be saved."""
        region = self._region(self.current_id)
        if not self.commit_edit() and region is not None and self._panel.edited_text != self._shown_text(region):
            return
        self._step(+1)

    def verify_and_next(self) -> None:
        """Ctrl+Enter: save the text as verified and go on."""
        region = self._region(self.current_id)
        if region is None or not review.is_editable(region):
            return
        text = self._panel.edited_text
        if not text.strip() and review.is_unreadable(region, self.unreadable_below):
            self.message.emit("Unreadable: type the text you see first (or show the model's guess)", 6000)
            return
        ops: list[Operation] = [SetText(region_id=region.id, text=text)] if text != region.text else []
        ops.append(SetStatus(region_id=region.id, status=RegionStatus.VERIFIED.value))
        if not self._push(Batch(ops=ops, text="Verify") if len(ops) > 1 else ops[0]):
            return
        self._settle_editor()
        self._step(+1)

    def cancel_edit(self) -> None:
        """Esc: put back the saved text and return to the page."""
        self._show_current(self._region(self.current_id))
        self._view.setFocus()

    def delete_current(self) -> None:
        """Delete: remove the current region and select its neighbour."""
        session, rid = self._documents.session, self.current_id
        if session is None or rid is None or session.get(rid) is None:
            return
        ids = [r.id for r in session.regions(self._documents.page_index)]
        after = review.selection_after_removal(ids, rid)
        if self._push(RemoveRegion(region_id=rid)):
            self.select(after)

    def reread_current(self) -> None:
        """Ctrl+R: read the current region again."""
        if self.current_id:
            self._recognition.read(self.current_id, restart_clock=True)

    # ------------------------------------------------------------------ drawing
    def _on_region_drawn(self, polygon: list[tuple[float, float]]) -> None:
        if self._documents.session is None:
            return
        self.commit_edit()
        op = AddRegion.new(self._documents.page_index, polygon, rotation=self._view.rotation)
        try:
            self._recognition.read_new(op.region_id, op.page, op.polygon, op.rotation, lambda: self._undo.push(op))
        except NoteLassoError as exc:
            self._report("Cannot add the region", exc)
            return
        self.select(op.region_id)

    def _on_region_moved(self, region_id: str, polygon: list[tuple[float, float]]) -> None:
        if self._region(region_id) is None:
            return
        try:
            self._undo.push(SetPolygon(region_id=region_id, polygon=tuple(polygon)))
        except NoteLassoError as exc:
            self._report("Cannot move the region", exc)
            return
        self._recognition.read(region_id, restart_clock=True)

    # ------------------------------------------------------------------ showing state
    def refresh(self, changed_id: str | None = None) -> None:
        """Show the page's regions in the panel; the current one too unless an edit of it is under way."""
        session = self._documents.session
        everything = session.regions() if session else []  # numbers and counts run across the document
        regions = [r for r in everything if r.page == self._documents.page_index]
        self._first_number = 1 + sum(r.page < self._documents.page_index for r in everything)
        self._total = len(everything)
        floor = self.unreadable_below
        doubtful = self.triage.is_doubtful  # the triage score (decision 025), not confidence alone
        self._panel.set_regions(
            regions, self.threshold, self.current_id, first_number=self._first_number, unreadable_below=floor,
            doubtful=doubtful,
        )  # fmt: skip
        self._view.mark_flagged(r.id for r in regions if doubtful(r) or review.is_unreadable(r, floor))
        self.counts_changed.emit(len(everything), review.count_reviewed(everything))
        if changed_id is None or changed_id == self.current_id:
            region = self._region(self.current_id)
            ed = self._panel.editor
            keep = region is not None and changed_id == self.current_id and ed.hasFocus() and ed.document().isModified()
            self._show_current(region, keep_text=keep)

    def _show_current(self, region: Region | None, *, keep_text: bool = False) -> None:
        if region is None:
            self._panel.show_region(None, None, self.threshold)
            return
        ids = self._panel.region_ids
        index = ids.index(region.id) + self._first_number if region.id in ids else 0
        image = self._documents.page_image(region.page)
        unreadable = review.is_unreadable(region, self.unreadable_below)
        words = word_crops(image, region, with_text=not unreadable) if image is not None else []
        crop = review_crop(image, region) if image is not None and not words else None
        self._panel.show_region(
            region,
            crop,
            self.threshold,
            index=index,
            total=self._total,
            keep_text=keep_text,
            is_unreadable=unreadable,
            unreadable_below=self.unreadable_below,
            words=words,
        )
        session = self._documents.session
        if session is not None and session.is_read_only:
            self._panel.editor.setEnabled(False)  # a read-only review: the text is shown, not edited

    def _on_session_event(self, event: str, region: Region | None) -> None:
        changed_id = region.id if region else None
        if region is not None and region.page == self._documents.page_index:
            if event == "removed" and region.id == self.current_id:
                self.current_id = changed_id = None  # e.g. undo of a new region: the panel shows none
            elif event != "removed":
                self._view.select_region(self.current_id, ensure_visible=False)
        self.refresh(changed_id=changed_id)
        self.selection_changed.emit()

    def _on_page_changing(self, _index: int) -> None:
        self.commit_edit()
        self.current_id = None
        self._pending_select = None

    def _on_page_shown(self, index: int) -> None:
        self.refresh()
        rid, self._pending_select = self._pending_select, None  # finish a Tab/F8 that waited for the page
        region = self._region(rid)
        if region is not None and region.page == index:
            self.select(region.id)
            self.page_links.follow(region.id)
            self.edit_current()
        self.selection_changed.emit()

    def _on_document_closed(self) -> None:
        self.current_id = None
        self._pending_select = None
        self._panel.set_regions([], self.threshold, None)
        self._panel.show_region(None, None, self.threshold)
        self.selection_changed.emit()
