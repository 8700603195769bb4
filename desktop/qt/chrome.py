"""The window's chrome: actions and their shortcuts, menus, toolbar, status bar, title.

A mixin of :class:`desktop.qt.main_window.MainWindow`; it only builds widgets and reflects state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QLabel, QSizePolicy, QStyle, QToolBar, QWidget

from desktop.qt.page_view import Tool

__all__ = ["ChromeMixin"]


class ChromeMixin:
    """Needs the window's ``view``, ``undo``, ``settings``, ``document``, ``session`` and slots."""

    def _icon(self, name: str):  # noqa: ANN202
        return self.style().standardIcon(getattr(QStyle.StandardPixmap, name))

    def _action(self, text: str, slot: Any, shortcut: Any = None, icon: str | None = None,
                checkable: bool = False) -> QAction:
        act = QAction(text, self)
        if icon:
            act.setIcon(self._icon(icon))
        if shortcut is not None:
            seqs = shortcut if isinstance(shortcut, list) else [shortcut]
            act.setShortcuts([QKeySequence(s) for s in seqs])
            act.setToolTip(f"{text} ({QKeySequence(seqs[0]).toString()})")
        act.setCheckable(checkable)
        act.triggered.connect(slot)
        self.addAction(act)  # shortcuts work with the menu bar hidden too
        return act

    def _build_actions(self) -> None:
        A = self._action
        self.act_open = A("&Open…", self.choose_document, QKeySequence.StandardKey.Open, "SP_DialogOpenButton")
        self.act_settings = A("&Settings…", self.show_settings, "Ctrl+,", "SP_FileDialogDetailedView")
        self.act_quit = A("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.act_undo = A("&Undo", self.undo.undo, QKeySequence.StandardKey.Undo, "SP_ArrowBack")
        self.act_redo = A("&Redo", self.undo.redo, ["Ctrl+Shift+Z", "Ctrl+Y"], "SP_ArrowForward")
        self.act_delete = A("&Delete region", self.delete_current, QKeySequence.StandardKey.Delete, "SP_TrashIcon")
        self.act_reread = A("Read &again", self.reread_current, "Ctrl+R", "SP_BrowserReload")
        self.act_edit = A("&Edit text", self.edit_current, "F2")
        self.act_next = A("&Next region", self.next_region, "Tab")
        self.act_prev = A("&Previous region", self.previous_region, "Shift+Tab")
        self.act_next_low = A("Next &doubtful region", self.next_low_confidence, "F8")
        self.act_verify = A("Mark &verified", self.verify_and_next, "Ctrl+Return")

        self.act_lasso = A("&Lasso", lambda: self.set_tool(Tool.LASSO), "L", checkable=True)
        self.act_rect = A("&Rectangle", lambda: self.set_tool(Tool.RECT), "R", checkable=True)
        self.act_select = A("&Select / move", lambda: self.set_tool(Tool.SELECT), "V", checkable=True)
        tools = QActionGroup(self)
        for act in (self.act_lasso, self.act_rect, self.act_select):
            tools.addAction(act)
        self.act_lasso.setChecked(True)

        self.act_zoom_in = A("Zoom &in", lambda: self.view.zoom_by(1.25), ["Ctrl+=", "Ctrl++"])
        self.act_zoom_out = A("Zoom &out", lambda: self.view.zoom_by(0.8), "Ctrl+-")
        self.act_fit_width = A("Fit &width", self.view.fit_width, "Ctrl+1")
        self.act_fit_page = A("Fit &page", self.view.fit_page, "Ctrl+0")
        self.act_rotate = A("&Turn page 90°", lambda: self.view.rotate_page(90), "Ctrl+]")
        self.act_prev_page = A("Pr&evious page", lambda: self.show_page(self.page_index - 1), "PgUp", "SP_ArrowUp")
        self.act_next_page = A("Ne&xt page", lambda: self.show_page(self.page_index + 1), "PgDown", "SP_ArrowDown")
        self.act_shortcuts = A("&Keyboard shortcuts", self.show_shortcuts, "F1")

        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addAction(self.act_open)
        self.recent_menu = m.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        m.addSeparator()
        self.export_menu = m.addMenu("&Export")
        self._build_export_menu()
        m.addSeparator()
        m.addAction(self.act_settings)
        m.addSeparator()
        m.addAction(self.act_quit)
        m = mb.addMenu("&Edit")
        for act in (self.act_undo, self.act_redo, None, self.act_edit, self.act_verify, self.act_reread,
                    self.act_delete):
            m.addSeparator() if act is None else m.addAction(act)
        m = mb.addMenu("&Review")
        for act in (self.act_next, self.act_prev, self.act_next_low, None, self.act_lasso, self.act_rect,
                    self.act_select):
            m.addSeparator() if act is None else m.addAction(act)
        m = mb.addMenu("&View")
        for act in (self.act_zoom_in, self.act_zoom_out, self.act_fit_width, self.act_fit_page, self.act_rotate,
                    None, self.act_prev_page, self.act_next_page):
            m.addSeparator() if act is None else m.addAction(act)
        m = mb.addMenu("&Help")
        m.addAction(self.act_shortcuts)

        tb = QToolBar("Tools")
        tb.setObjectName("mainToolbar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tb.addAction(self.act_open)
        tb.addSeparator()
        for act in (self.act_lasso, self.act_rect, self.act_select):
            tb.addAction(act)
        tb.addSeparator()
        tb.addAction(self.act_undo)
        tb.addAction(self.act_redo)
        tb.addSeparator()
        tb.addAction(self.act_prev_page)
        self.page_label = QLabel("–")
        self.page_label.setObjectName("pageLabel")
        tb.addWidget(self.page_label)
        tb.addAction(self.act_next_page)
        tb.addSeparator()
        for act in (self.act_zoom_out, self.act_zoom_in, self.act_fit_width, self.act_fit_page, self.act_rotate):
            tb.addAction(act)
        self.zoom_label = QLabel("100%")
        self.zoom_label.setObjectName("zoomLabel")
        tb.addWidget(self.zoom_label)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        tb.addWidget(spacer)
        tb.addAction(self.act_settings)
        self.addToolBar(tb)
        self.toolbar = tb
        for act, short in ((self.act_zoom_in, "+"), (self.act_zoom_out, "−"), (self.act_fit_width, "Width"),
                           (self.act_fit_page, "Page"), (self.act_rotate, "⟳ 90°"), (self.act_select, "Move"),
                           (self.act_rect, "Rect")):
            act.setIconText(short)
        for act in (self.act_prev_page, self.act_next_page):
            tb.widgetForAction(act).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)

    def _build_export_menu(self) -> None:
        from desktop.core.export import FORMATS

        for scope, label in (("document", "Whole document"), ("page", "Current page")):
            sub = self.export_menu.addMenu(label)
            for fmt, (name, ext) in FORMATS.items():
                act = QAction(f"{name} (.{ext.lstrip('.')})…", self)
                act.triggered.connect(lambda _=False, f=fmt, s=scope: self.choose_export(f, s))
                sub.addAction(act)
        self.act_export_default = self._action("Export…", lambda: self.choose_export("txt", "document"), "Ctrl+E")

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.remote_badge = QLabel()
        self.remote_badge.setObjectName("remoteBadge")
        self.remote_badge.hide()
        self.backend_status = QLabel("Loading model…")
        self.latency_status = QLabel("")
        self.count_status = QLabel("")
        for w in (self.count_status, self.latency_status, self.backend_status, self.remote_badge):
            sb.addPermanentWidget(w)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for f in self.settings.recent_files():
            act = self.recent_menu.addAction(Path(f).name)
            act.setToolTip(f)
            act.triggered.connect(lambda _=False, p=f: self.open_path(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none)").setEnabled(False)

    def _update_title(self) -> None:
        if self.document is None:
            self.setWindowTitle("NoteLasso")
            self.page_label.setText("–")
            return
        n = self.document.page_count
        self.setWindowTitle(f"{self.document.path.name} — page {self.page_index + 1} of {n} — NoteLasso")
        self.page_label.setText(f"  {self.page_index + 1} / {n}  ")

    def _on_zoom_changed(self, zoom: float) -> None:
        self.zoom_label.setText(f"{zoom * 100:.0f}%")

    def _update_actions(self, *_args: object) -> None:
        has_doc = self.session is not None
        has_region = has_doc and self.current_id is not None
        self.act_undo.setEnabled(self.undo.stack.canUndo())
        self.act_redo.setEnabled(self.undo.stack.canRedo())
        self.act_undo.setText(f"&Undo {self.undo.stack.undoText()}".strip())
        self.act_redo.setText(f"&Redo {self.undo.stack.redoText()}".strip())
        self.act_undo.setIconText("Undo")
        self.act_redo.setIconText("Redo")
        for act in (self.act_delete, self.act_reread, self.act_edit, self.act_verify):
            act.setEnabled(has_region)
        self.export_menu.setEnabled(has_doc)
        n = self.document.page_count if self.document else 0
        self.act_prev_page.setEnabled(self.page_index > 0)
        self.act_next_page.setEnabled(self.page_index < n - 1)
