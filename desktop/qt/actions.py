"""The command table (``desktop.qt.action_table``) turned into actions, menus and the toolbar.

Each entry's slot is a dotted path from the window, looked up when the actions are built, so a
table entry whose handler is missing fails at start-up and in the tests, never at a key press.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from operator import attrgetter

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QUndoStack
from PySide6.QtWidgets import QLabel, QMenu, QMenuBar, QSizePolicy, QStyle, QToolBar, QToolButton, QWidget

from desktop.qt.action_table import ACTIONS, ICON_ONLY, MENUS, SAMPLE_NOTE, TOOLBAR, ActionSpec, Key

__all__ = [
    "ACTIONS",
    "MENUS",
    "SAMPLE_NOTE",
    "TOOLBAR",
    "ActionSpec",
    "build_actions",
    "build_menus",
    "build_toolbar",
    "resolve_slot",
    "shortcut_sheet",
    "update_enabled",
    "update_undo",
]


#: Key names as the keyboard labels them, where Qt's own names differ.
_KEY_NAMES = {"Return": "Enter", "Del": "Delete", "PgDown": "PgDn"}


def _key_text(key: Key) -> str:
    text = QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)
    return "+".join(_KEY_NAMES.get(part, part) for part in text.split("+")) if text != "+" else text


def shortcut_sheet(actions: Sequence[ActionSpec] = ACTIONS) -> list[tuple[str, str]]:
    """(keys, what they do) for every entry that has keys, in table order."""
    rows = []
    for spec in actions:
        keys = spec.keys_text or " / ".join(_key_text(k) for k in spec.keys)
        if keys:
            rows.append((keys, spec.sheet or spec.title.replace("&", "").rstrip("…")))
    return rows


def resolve_slot(window: QWidget, spec: ActionSpec) -> Callable[[], object]:
    """The callable ``spec.slot`` names on ``window``, bound to ``spec.args``.

    Raises AttributeError for a slot the window does not have (a programming error, caught by the tests).
    """
    target = attrgetter(spec.slot)(window)
    if not callable(target):
        raise AttributeError(f"action {spec.id}: {spec.slot} is not callable")
    return functools.partial(target, *spec.args)


def build_actions(window: QWidget, actions: Sequence[ActionSpec] = ACTIONS) -> dict[str, QAction]:
    """One QAction per menu entry of ``actions``, calling its slot on ``window``.

    Each action is added to the window, so its keys work with the menu bar hidden too.
    """
    parent = window
    out: dict[str, QAction] = {}
    groups: dict[str, QActionGroup] = {}
    for spec in actions:
        if not spec.menu:
            continue
        act = QAction(spec.title, parent)
        if spec.icon:
            act.setIcon(parent.style().standardIcon(getattr(QStyle.StandardPixmap, spec.icon)))
        if spec.icon_text:
            act.setIconText(spec.icon_text)
        if spec.keys:
            act.setShortcuts([QKeySequence(k) for k in spec.keys])
            act.setToolTip(f"{spec.title.replace('&', '')} ({_key_text(spec.keys[0])})")
        act.setCheckable(spec.checkable)
        if spec.checked:
            act.setChecked(bool(attrgetter(spec.checked)(window)))
        if spec.group:
            groups.setdefault(spec.group, QActionGroup(parent)).addAction(act)
        slot = resolve_slot(window, spec)
        act.triggered.connect(lambda _checked=False, slot=slot: slot())
        parent.addAction(act)  # shortcuts work with the menu bar hidden too
        out[spec.id] = act
    return out


def build_menus(
    bar: QMenuBar, acts: Mapping[str, QAction], actions: Sequence[ActionSpec] = ACTIONS
) -> dict[str, QMenu]:
    """Fill the menu bar from the table; returns the menus by name."""
    menus: dict[str, QMenu] = {}
    for name, title in MENUS:
        menu = bar.addMenu(title)
        menus[name] = menu
        for spec in actions:
            if spec.menu == name:
                if spec.separator_before and not menu.isEmpty():
                    menu.addSeparator()
                menu.addAction(acts[spec.id])
    return menus


def build_toolbar(acts: Mapping[str, QAction], labels: Mapping[str, QLabel]) -> QToolBar:
    """The toolbar laid out by ``TOOLBAR``; ``labels`` fill its "[name]" slots."""
    tb = QToolBar("Tools")
    tb.setObjectName("mainToolbar")
    tb.setMovable(False)
    tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    for item in TOOLBAR:
        if item == "|":
            tb.addSeparator()
        elif item == "<->":
            spacer = QWidget()
            spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            tb.addWidget(spacer)
        elif item.startswith("["):
            tb.addWidget(labels[item.strip("[]")])
        else:
            tb.addAction(acts[item])
    for name in ICON_ONLY:
        button = tb.widgetForAction(acts[name])
        if isinstance(button, QToolButton):
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    return tb


def update_enabled(
    acts: Mapping[str, QAction], *, has_document: bool, has_region: bool, actions: Sequence[ActionSpec] = ACTIONS
) -> None:
    """Enable each action whose ``needs`` is met."""
    have = {"": True, "document": has_document, "region": has_region}
    for spec in actions:
        if spec.id in acts:
            acts[spec.id].setEnabled(have[spec.needs])


def update_undo(acts: Mapping[str, QAction], stack: QUndoStack, *, can_edit: bool) -> None:
    """Undo and redo enabled as the stack allows, named after the step they would take ("Undo Edit text")."""
    for name, can, text in (("undo", stack.canUndo(), stack.undoText()), ("redo", stack.canRedo(), stack.redoText())):
        acts[name].setEnabled(can_edit and can)
        acts[name].setText(f"&{name.title()} {text}".strip())
