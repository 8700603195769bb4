"""Moving between regions and editing their text from the keyboard.

A mixin of :class:`desktop.qt.main_window.MainWindow`. Every change goes through the undo
controller as a core operation (SetText, SetStatus, Batch), so it is saved and undoable.
"""

from __future__ import annotations

from desktop.core.history import Batch, SetStatus, SetText
from desktop.core.regions import RegionStatus
from desktop.qt.editor import has_doubtful
from desktop.qt.page_view import Tool

__all__ = ["ReviewKeysMixin"]


class ReviewKeysMixin:
    """Needs the window's ``session``, ``panel``, ``view``, ``undo`` and ``current_id``."""

    def select_region(self, region_id: str | None) -> None:
        if region_id == self.current_id and region_id is not None:
            return
        self._commit_edit()
        self.current_id = region_id
        self.view.select_region(region_id)
        region = self.session.get(region_id) if self.session and region_id else None
        self._show_current(region)
        self._update_actions()

    def _ids(self) -> list[str]:
        return [r.id for r in self.session.regions(self.page_index)] if self.session else []

    def _document_order(self) -> list[tuple[int, str]]:
        """(page, id) of every region in the document, in reading order."""
        return [(r.page, r.id) for r in self.session.regions()] if self.session else []

    def _go_to(self, page: int, region_id: str) -> None:
        """Select a region and put the cursor in its text, turning the page first if needed."""
        if page != self.page_index:
            self.show_page(page)
            if not self.view.has_page:  # still rendering: select it when the page is shown
                self._pending_select = region_id
                return
        self.select_region(region_id)
        self.edit_current()

    def _take_pending_select(self) -> None:
        """Called when a page is displayed: finish a Tab/F8 that had to wait for the page."""
        rid, self._pending_select = self._pending_select, None
        region = self.session.get(rid) if self.session and rid else None
        if region is not None and region.page == self.page_index:
            self.select_region(rid)
            self.edit_current()

    def _step(self, delta: int) -> None:
        """Tab / Shift+Tab: the next or previous region, across pages, in reading order."""
        order = self._document_order()
        if not order:
            return
        ids = [rid for _, rid in order]
        if self.current_id in ids:
            i = ids.index(self.current_id) + delta
        elif delta > 0:  # nothing selected: the first region on or after this page
            i = next((k for k, (page, _) in enumerate(order) if page >= self.page_index), len(order))
        else:
            i = max((k for k, (page, _) in enumerate(order) if page <= self.page_index), default=-1)
        if not 0 <= i < len(order):
            self._commit_edit()
            self.view.setFocus()
            self.statusBar().showMessage("Last region in the document: draw the next one" if delta > 0
                                         else "First region in the document", 4000)
            return
        self._go_to(*order[i])

    def next_region(self) -> None:
        self._step(+1)

    def previous_region(self) -> None:
        self._step(-1)

    def next_low_confidence(self) -> None:
        """F8: the next region (after the current one, across pages, wrapping) still holding
        doubtful characters."""
        if self.session is None:
            return
        order = self._document_order()
        ids = [rid for _, rid in order]
        if self.current_id in ids:
            start = ids.index(self.current_id) + 1
        else:
            start = next((k for k, (page, _) in enumerate(order) if page >= self.page_index), 0)
        threshold = self._threshold()
        for page, rid in order[start:] + order[:start]:
            r = self.session.get(rid)
            if r is None or r.status == RegionStatus.VERIFIED:
                continue
            if has_doubtful(r.model_text, r.confidences, r.text, threshold):
                self._go_to(page, rid)
                return
        self.statusBar().showMessage("No doubtful characters left in this document", 4000)

    def edit_current(self) -> None:
        """F2: put the cursor in the editor, at the first doubtful character if there is one."""
        if not self.panel.editor.isEnabled():
            return
        ed = self.panel.editor
        ed.setFocus()
        marks = ed.highlighter.marked_positions()
        cursor = ed.textCursor()
        cursor.setPosition(marks[0] if marks else len(ed.toPlainText()))
        ed.setTextCursor(cursor)

    def _commit_edit(self) -> bool:
        """Save the editor's text to the current region if it changed. Returns True if saved."""
        if self.session is None or self.current_id is None:
            return False
        region = self.session.get(self.current_id)
        text = self.panel.edited_text
        if region is None or not self.panel.editor.isEnabled() or text == region.text:
            return False
        self.undo.push(SetText(region_id=region.id, text=text))
        self._settle_editor()
        return True

    def _settle_editor(self) -> None:
        """After a commit the editor holds saved text: Ctrl+Z now means the session's undo."""
        doc = self.panel.editor.document()
        doc.clearUndoRedoStacks()
        doc.setModified(False)

    def accept_and_next(self) -> None:
        self._commit_edit()
        self._step(+1)

    def verify_and_next(self) -> None:
        if self.session is None or self.current_id is None:
            return
        region = self.session.get(self.current_id)
        if region is None or region.status in (RegionStatus.PENDING, RegionStatus.RECOGNISING):
            return
        text = self.panel.edited_text
        ops = []
        if text != region.text:
            ops.append(SetText(region_id=region.id, text=text))
        ops.append(SetStatus(region_id=region.id, status=RegionStatus.VERIFIED.value))
        self.undo.push(Batch(ops=ops, text="Verify") if len(ops) > 1 else ops[0])
        self._settle_editor()
        self._step(+1)

    def cancel_edit(self) -> None:
        region = self.session.get(self.current_id) if self.session and self.current_id else None
        self._show_current(region)
        self.view.setFocus()

    def set_tool(self, tool: str) -> None:
        self.view.set_tool(tool)
        {Tool.LASSO: self.act_lasso, Tool.RECT: self.act_rect, Tool.SELECT: self.act_select}[tool].setChecked(True)
