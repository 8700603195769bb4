"""Every command of the window declared once, as data: menus, toolbar, shortcuts and the F1 sheet.

``ACTIONS`` lists what a reviewer can do, in the order of the shortcut sheet. An entry with a
menu becomes a ``QAction`` whose slot is looked up by its id in the handlers the window passes;
an entry without one documents a key that a widget handles itself (Enter in the editor, Space
to pan), so the sheet tells the whole story and never drifts from the real bindings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMenu,
    QMenuBar,
    QSizePolicy,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

__all__ = [
    "ACTIONS",
    "MENUS",
    "TOOLBAR",
    "ActionSpec",
    "ShortcutsDialog",
    "build_actions",
    "build_menus",
    "build_toolbar",
    "shortcut_sheet",
    "update_enabled",
]

Key = str | QKeySequence.StandardKey


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One command. ``menu`` None: a key a widget handles, listed in the sheet only.

    ``needs``: "" always enabled, "document" with a document open, "region" with a region selected.
    ``sheet`` is the sheet's wording (default: the title); ``keys_text`` how the sheet shows the keys
    when they are not plain shortcuts (a mouse gesture, a key held while dragging).
    """

    id: str
    title: str
    keys: tuple[Key, ...] = ()
    menu: str | None = None
    icon: str | None = None
    icon_text: str | None = None
    checkable: bool = False
    group: str | None = None
    needs: str = ""
    separator_before: bool = False
    sheet: str | None = None
    keys_text: str | None = None


_S = QKeySequence.StandardKey
A = ActionSpec

ACTIONS: tuple[ActionSpec, ...] = (
    A("open", "&Open…", (_S.Open,), "File", "SP_DialogOpenButton", sheet="Open a document (or drop it on the window)"),
    A(
        "export",
        "Export &text…",
        ("Ctrl+E",),
        "File",
        needs="document",
        separator_before=True,
        sheet="Export the whole document as text (File > Export for other formats)",
    ),
    A(
        "settings",
        "&Settings…",
        ("Ctrl+,",),
        "File",
        "SP_FileDialogDetailedView",
        separator_before=True,
        sheet="Settings: back end, review threshold, resolution",
    ),
    A("quit", "&Quit", (_S.Quit,), "File", separator_before=True),
    A("lasso", "&Lasso", ("L",), "Review", checkable=True, group="tools", sheet="Lasso tool: draw round the text"),
    A(
        "rect",
        "&Rectangle",
        ("R",),
        "Review",
        icon_text="Rect",
        checkable=True,
        group="tools",
        sheet="Rectangle tool: drag a box round the text",
    ),
    A(
        "select",
        "&Select / move",
        ("V",),
        "Review",
        icon_text="Move",
        checkable=True,
        group="tools",
        sheet="Select-and-move tool: drag a region to reshape what is read",
    ),
    A("prev_page", "Pr&evious page", ("PgUp",), "View", "SP_ArrowUp", separator_before=True),
    A("next_page", "Ne&xt page", ("PgDown",), "View", "SP_ArrowDown"),
    A("zoom_in", "Zoom &in", ("Ctrl+=", "Ctrl++"), "View", icon_text="+", sheet="Zoom in (or Ctrl+wheel)"),
    A("zoom_out", "Zoom &out", ("Ctrl+-",), "View", icon_text="−"),
    A("fit_width", "Fit &width", ("Ctrl+1",), "View", icon_text="Width"),
    A("fit_page", "Fit &page", ("Ctrl+0",), "View", icon_text="Page"),
    A(
        "rotate",
        "&Turn page 90°",
        ("Ctrl+]",),
        "View",
        icon_text="⟳ 90°",
        sheet="Turn the page 90° (a sideways scan: new regions are read that way)",
    ),
    A("pan", "Pan", keys_text="Space+drag, middle drag"),
    A("next", "&Next region", ("Tab",), "Review", separator_before=True),
    A("prev", "&Previous region", ("Shift+Tab",), "Review"),
    A("next_doubtful", "Next &doubtful region", ("F8",), "Review", sheet="Next region with doubtful characters"),
    A(
        "edit",
        "&Edit text",
        ("F2",),
        "Edit",
        needs="region",
        separator_before=True,
        sheet="Edit the current region's text",
    ),
    A("accept", "Accept", ("Enter",), sheet="Accept the text and go to the next region"),
    A("newline", "New line", ("Shift+Enter",), sheet="New line in the text"),
    A(
        "verify",
        "Mark &verified",
        ("Ctrl+Return",),
        "Edit",
        needs="region",
        sheet="Mark verified and go to the next region",
    ),
    A("cancel", "Cancel", ("Esc",), sheet="Cancel the edit (or the drawing)"),
    A("reread", "Read &again", ("Ctrl+R",), "Edit", "SP_BrowserReload", needs="region", sheet="Read the region again"),
    A("delete", "&Delete region", (_S.Delete,), "Edit", "SP_TrashIcon", needs="region", sheet="Remove the region"),
    A("undo", "&Undo", (_S.Undo,), "Edit", "SP_ArrowBack", icon_text="Undo"),
    A("redo", "&Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Edit", "SP_ArrowForward", icon_text="Redo"),
    A("shortcuts", "&Keyboard shortcuts", ("F1",), "Help", sheet="This sheet"),
)
del A

#: Menu bar order; within a menu, entries keep the order of ``ACTIONS``.
MENUS: tuple[tuple[str, str], ...] = (
    ("File", "&File"),
    ("Edit", "&Edit"),
    ("Review", "&Review"),
    ("View", "&View"),
    ("Help", "&Help"),
)

#: Toolbar: action ids, "|" a separator, "[name]" a label the window fills, "<->" a stretch.
TOOLBAR: tuple[str, ...] = (
    "open",
    "|",
    "lasso",
    "rect",
    "select",
    "|",
    "undo",
    "redo",
    "|",
    "prev_page",
    "[page]",
    "next_page",
    "|",
    "zoom_out",
    "zoom_in",
    "fit_width",
    "fit_page",
    "rotate",
    "[zoom]",
    "<->",
    "settings",
)
_ICON_ONLY = ("prev_page", "next_page")


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


def build_actions(
    parent: QWidget, handlers: Mapping[str, Callable[[], object]], actions: Sequence[ActionSpec] = ACTIONS
) -> dict[str, QAction]:
    """One QAction per menu entry of ``actions``, added to ``parent`` so its keys work everywhere.

    ``handlers`` maps every such id to its slot; a missing or extra handler is a programming error.
    """
    menu_ids = {s.id for s in actions if s.menu}
    if set(handlers) != menu_ids:
        raise KeyError(
            f"handlers differ from the action table: missing {sorted(menu_ids - set(handlers))}, "
            f"unknown {sorted(set(handlers) - menu_ids)}"
        )
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
        if spec.group:
            groups.setdefault(spec.group, QActionGroup(parent)).addAction(act)
        act.triggered.connect(handlers[spec.id])
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
    for name in _ICON_ONLY:
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


class ShortcutsDialog(QDialog):
    """F1: the keys of the window, generated from ``ACTIONS``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_sheet()
        self.table = tbl = QTableWidget(len(rows), 2)
        tbl.setHorizontalHeaderLabels(["Keys", "Action"])
        tbl.verticalHeader().setVisible(False)
        tbl.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        tbl.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        tbl.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        tbl.setShowGrid(False)
        tbl.setAlternatingRowColors(True)
        for row, (keys, action) in enumerate(rows):
            tbl.setItem(row, 0, QTableWidgetItem(keys))
            tbl.setItem(row, 1, QTableWidgetItem(action))
        tbl.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        tbl.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(tbl)
        lay.addWidget(buttons)
        self.resize(640, 40 + 30 * (len(rows) + 2))
