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

    def _step(self, delta: int) -> None:
        ids = self._ids()
        if not ids:
            return
        if self.current_id not in ids:
            target = ids[0] if delta > 0 else ids[-1]
        else:
            i = ids.index(self.current_id) + delta
            if not 0 <= i < len(ids):
                self._commit_edit()
                self.view.setFocus()
                self.statusBar().showMessage("Last region on this page: draw the next one" if delta > 0
                                             else "First region on this page", 4000)
                return
            target = ids[i]
        self.select_region(target)
        self.edit_current()

    def next_region(self) -> None:
        self._step(+1)

    def previous_region(self) -> None:
        self._step(-1)

    def next_low_confidence(self) -> None:
        """F8: the next region (after the current one, wrapping) still holding doubtful characters."""
        if self.session is None:
            return
        ids = self._ids()
        start = ids.index(self.current_id) + 1 if self.current_id in ids else 0
        threshold = self._threshold()
        for rid in ids[start:] + ids[:start]:
            r = self.session.get(rid)
            if r is None or r.status == RegionStatus.VERIFIED:
                continue
            if has_doubtful(r.model_text, r.confidences, r.text, threshold):
                self.select_region(rid)
                self.edit_current()
                return
        self.statusBar().showMessage("No doubtful characters left on this page", 4000)

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
