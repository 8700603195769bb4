"""Every command of the window declared once, as data: menus, toolbar, shortcuts and the F1 sheet.

``ACTIONS`` lists what a reviewer can do, in the order of the shortcut sheet. An entry with a
menu becomes a ``QAction`` whose slot is looked up by its id in the handlers the window passes;
an entry without one documents a key that a widget handles itself (Enter in the editor, Space
to pan), so the sheet tells the whole story and never drifts from the real bindings.
``desktop.qt.actions`` turns this table into actions, menus and the toolbar.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QKeySequence

from inference.models import RESOURCES

__all__ = ["ACTIONS", "ICON_ONLY", "MENUS", "SAMPLE_NOTE", "TOOLBAR", "ActionSpec", "Key"]

Key = str | QKeySequence.StandardKey


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One command. ``menu`` None: a key a widget handles, listed in the sheet only.

    ``slot``: what triggering it calls, a dotted path from the window (``"navigator.next_region"``),
    with ``args``. ``needs``: "" always enabled, "document" with a document open, "region" with a region selected.
    ``sheet`` is the sheet's wording (default: the title); ``keys_text`` how the sheet shows the keys
    when they are not plain shortcuts (a mouse gesture, a key held while dragging). ``checked``: for a
    checkable command, a dotted path from the window to the bool it starts checked from.
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
    slot: str = ""
    args: tuple[object, ...] = ()
    checked: str = ""


#: The scanned note shipped with the app (read-only where installed; its review goes to the data folder).
SAMPLE_NOTE = RESOURCES / "samples" / "clinical-note.pdf"

_S = QKeySequence.StandardKey
A = ActionSpec

ACTIONS: tuple[ActionSpec, ...] = (
    A(
        "open",
        "&Open…",
        (_S.Open,),
        "File",
        "SP_DialogOpenButton",
        sheet="Open documents: several files at once, or drop files and folders on the window",
        slot="doc_list.choose",
    ),
    A(
        "export",
        "Export &text…",
        ("Ctrl+E",),
        "File",
        needs="document",
        separator_before=True,
        sheet="Export the whole document as text (File > Export for other formats)",
        slot="export_menu.choose",
        args=("txt", "document"),
    ),
    A(
        "settings",
        "&Settings…",
        ("Ctrl+,",),
        "File",
        "SP_FileDialogDetailedView",
        separator_before=True,
        sheet="Settings: back end, review threshold, resolution",
        slot="show_settings",
    ),
    A("quit", "&Quit", (_S.Quit,), "File", separator_before=True, slot="close"),
    A(
        "lasso",
        "&Lasso",
        ("L",),
        "Review",
        checkable=True,
        group="tools",
        sheet="Lasso tool: draw round the text",
        slot="set_tool",
        args=("lasso",),
    ),
    A(
        "rect",
        "&Rectangle",
        ("R",),
        "Review",
        icon_text="Rect",
        checkable=True,
        group="tools",
        sheet="Rectangle tool: drag a box round the text",
        slot="set_tool",
        args=("rect",),
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
        slot="set_tool",
        args=("select",),
    ),
    A(
        "prev_page",
        "Pr&evious page",
        ("PgUp",),
        "View",
        "SP_ArrowUp",
        separator_before=True,
        slot="documents.previous_page",
    ),
    A("next_page", "Ne&xt page", ("PgDown",), "View", "SP_ArrowDown", slot="documents.next_page"),
    A(
        "prev_document",
        "Previous docu&ment",
        ("Ctrl+PgUp",),
        "View",
        separator_before=True,
        sheet="Previous document in the document list (its review is saved first)",
        slot="doc_list.previous_document",
    ),
    A(
        "next_document",
        "Next doc&ument",
        ("Ctrl+PgDown",),
        "View",
        sheet="Next document in the document list (its review is saved first)",
        slot="doc_list.next_document",
    ),
    A(
        "document_list",
        "Document &list",
        (),
        "View",
        checkable=True,
        sheet="Show or hide the list of open and queued documents",
        slot="doc_list.toggle_list",
    ),
    A(
        "zoom_in",
        "Zoom &in",
        ("Ctrl+=", "Ctrl++"),
        "View",
        icon_text="+",
        separator_before=True,
        sheet="Zoom in (or Ctrl+wheel)",
        slot="view.zoom_by",
        args=(1.25,),
    ),
    A("zoom_out", "Zoom &out", ("Ctrl+-",), "View", icon_text="−", slot="view.zoom_by", args=(0.8,)),
    A("fit_width", "Fit &width", ("Ctrl+1",), "View", icon_text="Width", slot="view.fit_width"),
    A("fit_page", "Fit &page", ("Ctrl+0",), "View", icon_text="Page", slot="view.fit_page"),
    A(
        "rotate",
        "&Turn page 90°",
        ("Ctrl+]",),
        "View",
        icon_text="⟳ 90°",
        sheet="Turn the page 90° (a sideways scan: new regions are read that way)",
        slot="view.rotate_page",
        args=(90,),
    ),
    A(
        "word_confidence",
        "Word &confidence on the page",
        ("Ctrl+Shift+C",),
        "View",
        checkable=True,
        separator_before=True,
        sheet="Show each word's confidence on the page: a figure by each word box, \u2691 when doubtful",
        slot="navigator.page_links.toggle_confidence",
        checked="navigator.page_links.is_showing_confidence",
    ),
    A(
        "zoom_follow",
        "&Zoom to region on Tab",
        (),
        "View",
        checkable=True,
        slot="navigator.page_links.toggle_follow",
        checked="navigator.page_links.follows_region",
    ),
    A(
        "progress",
        "Review pro&gress",
        (),
        "View",
        checkable=True,
        separator_before=True,
        sheet="Show or hide the review progress: per page, regions, reviewed, doubtful and unreadable left",
        slot="progress_dock.toggle",
    ),
    A("pan", "Pan", keys_text="Space+drag, middle drag"),
    A("next", "&Next region", ("Tab",), "Review", separator_before=True, slot="navigator.next_region"),
    A("prev", "&Previous region", ("Shift+Tab",), "Review", slot="navigator.previous_region"),
    A(
        "next_doubtful",
        "Next &doubtful region",
        ("F8",),
        "Review",
        sheet="Next region with doubtful characters",
        slot="navigator.next_doubtful",
    ),
    A(
        "next_doubtful_word",
        "Next doubtful or &unknown word",
        ("Ctrl+F8",),
        "Review",
        needs="document",
        sheet="Next word the model doubted or the dictionary does not know (right-click it for suggestions)",
        slot="navigator.words.next_doubtful_word",
    ),
    A(
        "next_unreviewed",
        "Next &unreviewed region",
        ("Ctrl+N",),
        "Review",
        sheet="Next unreviewed region: not yet corrected or verified (across pages, wrapping round)",
        slot="navigator.next_unreviewed",
    ),
    A(
        "move_up",
        "&Move region up",
        ("Alt+Up",),
        "Review",
        needs="region",
        separator_before=True,
        sheet="Move the region up in its page's order (lists, Tab and every export follow it)",
        slot="navigator.move_up",
    ),
    A(
        "move_down",
        "Mo&ve region down",
        ("Alt+Down",),
        "Review",
        needs="region",
        sheet="Move the region down in its page's order",
        slot="navigator.move_down",
    ),
    A(
        "edit",
        "&Edit text",
        ("F2",),
        "Edit",
        needs="region",
        separator_before=True,
        sheet="Edit the current region's text (on the page: Enter or a double click too)",
        slot="navigator.edit_current",
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
        slot="navigator.verify_and_next",
    ),
    A("cancel", "Cancel", ("Esc",), sheet="Cancel the edit (or the drawing)"),
    A(
        "choose_word",
        "Choose a word",
        keys_text="Click a word",
        sheet="On the page: choose that word in the text (its box lights; Enter or F2 edits it)",
    ),
    A(
        "edit_points",
        "Edit the outline",
        keys_text="Drag a point / double-click an edge / Backspace",
        sheet="Selected region: move one point of its outline, add a point, delete the point last grabbed",
    ),
    A(
        "reread",
        "Read &again",
        ("Ctrl+R",),
        "Edit",
        "SP_BrowserReload",
        needs="region",
        sheet="Read the region again",
        slot="navigator.reread_current",
    ),
    A(
        "take_second",
        "&Take the second reading",
        ("Ctrl+T",),
        "Edit",
        needs="region",
        sheet="Take the second reader's reading of the word at the cursor (of every flagged word when on none)",
        slot="navigator.second_reader.take_other_reading",
    ),
    A(
        "delete",
        "&Delete region",
        (_S.Delete,),
        "Edit",
        "SP_TrashIcon",
        needs="region",
        sheet="Remove the region",
        slot="navigator.delete_current",
    ),
    A(
        "read_page",
        "Read &whole page",
        ("Ctrl+Shift+R",),
        "Review",
        needs="document",
        separator_before=True,
        sheet="Read the whole page: its text lines become regions in reading order (asks if it has regions)",
        slot="navigator.page_reader.read_page",
    ),
    A(
        "read_pages",
        "Read pa&ges…",
        (),
        "Review",
        needs="document",
        sheet="Read a range of pages: their text lines become regions (asks about pages that have regions)",
        slot="navigator.range_reader.choose",
    ),
    A(
        "sign_off",
        "Sign &off document",
        (),
        "Review",
        needs="document",
        separator_before=True,
        slot="documents.sign_off",
    ),
    A("undo", "&Undo", (_S.Undo,), "Edit", "SP_ArrowBack", icon_text="Undo", slot="undo.undo"),
    A("redo", "&Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Edit", "SP_ArrowForward", icon_text="Redo", slot="undo.redo"),
    A("shortcuts", "&Keyboard shortcuts", ("F1",), "Help", sheet="This sheet", slot="show_shortcuts"),
    A("sample", "Open the &sample note", (), "Help", slot="open_path", args=(str(SAMPLE_NOTE),)),
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
ICON_ONLY = ("prev_page", "next_page")
