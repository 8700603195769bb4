"""QUndoStack commands that call the core session's do/undo/redo; core stays Qt-free.

The session's own history is the source of truth (it is saved, so it outlives a sitting): the
controller applies a new step with ``session.do(op)`` and then records it; a command's ``redo``
is ``session.redo()`` and its ``undo`` is ``session.undo()``. On opening, the stack is rebuilt
from ``session.history()`` so the Edit menu and a QUndoView show steps from earlier sittings too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack

from inference.errors import NoteLassoError

if TYPE_CHECKING:
    from desktop.core.history import Operation
    from desktop.core.session import ReviewSession

__all__ = ["SessionCommand", "UndoController"]


class SessionCommand(QUndoCommand):
    """One step of the session's history, recorded once the session has applied it."""

    def __init__(self, controller: UndoController, label: str) -> None:
        super().__init__(label)
        self._controller = controller

    def redo(self) -> None:
        session = self._controller.session
        if self._controller.is_replaying or session is None:
            return
        session.redo()

    def undo(self) -> None:
        session = self._controller.session
        if self._controller.is_replaying or session is None:
            return
        session.undo()


class UndoController:
    """The QUndoStack of the open session."""

    def __init__(
        self, parent: QObject | None = None, *, report: Callable[[str, Exception], None] | None = None
    ) -> None:
        self._report = report
        self.stack = QUndoStack(parent)
        self.stack.setUndoLimit(0)
        self.session: ReviewSession | None = None
        self.is_replaying = False
        #: told "Undone: Edit text" / "Redone: ..." after each step back or forward (the status bar)
        self.tell: Callable[[str], None] | None = None

    def attach(self, session: ReviewSession | None) -> None:
        """Mirror ``session``'s saved history without replaying it."""
        self.is_replaying = True
        try:
            self.session = session
            self.stack.clear()
            if session is not None:
                labels, pointer = session.history()
                for label in labels:
                    self.stack.push(SessionCommand(self, label))
                self.stack.setIndex(pointer)
                self.stack.setClean()
        finally:
            self.is_replaying = False

    def push(self, op: Operation) -> None:
        """Apply ``op`` through the session (errors reach the caller), then record it on the stack."""
        if self.session is None:
            return
        self.session.do(op)
        self.is_replaying = True
        try:
            self.stack.push(SessionCommand(self, op.label))
        finally:
            self.is_replaying = False

    def undo(self) -> None:
        """Undo the session's last step; if it cannot be saved it is reported and the stack stays as it was."""
        self._walk(back=True)

    def redo(self) -> None:
        self._walk(back=False)

    def _walk(self, *, back: bool) -> None:
        session = self.session
        if session is None or not (self.stack.canUndo() if back else self.stack.canRedo()):
            return
        label = self.stack.undoText() if back else self.stack.redoText()
        try:
            session.undo() if back else session.redo()
        except NoteLassoError as exc:
            if self._report is None:
                raise
            self._report("Cannot undo" if back else "Cannot redo", exc)
            return
        self.is_replaying = True
        try:
            self.stack.undo() if back else self.stack.redo()
        finally:
            self.is_replaying = False
        if self.tell is not None:
            self.tell(f"{'Undone' if back else 'Redone'}: {label}")
