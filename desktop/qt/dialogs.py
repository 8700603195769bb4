"""Dialogs: settings (with a back-end connection test), the shortcut sheet, error and password prompts."""

from __future__ import annotations

import html
import time
from typing import Any

from PySide6.QtCore import Qt, QThreadPool, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.core import settings as table
from desktop.qt.actions import shortcut_sheet
from desktop.qt.settings_form import SettingField, add_field_row, make_field
from desktop.qt.workers import run_job, user_text
from inference.backends import PLUGINS, available_backends, open_backend

__all__ = ["REMOTE_NOTE", "SettingsDialog", "ShortcutsDialog", "ask_password_dialog", "show_error_dialog"]


def show_error_dialog(parent: QWidget | None, title: str, message: str, hint: str | None) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent)
    if hint:
        box.setInformativeText(hint)
    box.exec()


def ask_password_dialog(parent: QWidget | None, filename: str, is_retry: bool) -> str | None:
    prompt = (
        f"Wrong password. Try again for {filename}:" if is_retry else f"{filename} is password-protected. Password:"
    )
    text, ok = QInputDialog.getText(parent, "Password required", prompt, QLineEdit.EchoMode.Password)
    return text if ok else None


REMOTE_NOTE = "Page regions are sent to this server. Use it only if your organisation allows it."


class SettingsDialog(QDialog):
    """Edits the settings table; ``values()`` returns what the user chose.

    Generated from the table: a page of editors per back end (only the chosen one's is shown), the
    options every back end takes, then the app's own settings. A new setting needs no code here.
    """

    connection_tested = Signal(bool, str)

    def __init__(self, values: dict[str, Any], parent: QWidget | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._pool = pool or QThreadPool.globalInstance()
        self._avail = available_backends()
        v = table.defaults() | dict(values)
        #: settings key -> its editors (a key shared by several back ends has one per page, kept in step)
        self.fields: dict[str, list[SettingField]] = {}

        self.kind = QComboBox()
        self.kind.setToolTip(table.setting(table.KIND_KEY).help)
        self.stack = QStackedWidget()
        #: kind -> the label saying why that back end cannot run here ('' when it can)
        self.hints: dict[str, QLabel] = {}
        for kind, plugin in PLUGINS.items():
            ok, hint = self._avail.get(kind, (False, plugin.install_hint))
            self.kind.addItem(plugin.name + ("" if ok else "  (not available here)"), kind)
            self.stack.addWidget(
                self._backend_page(kind, v, "" if ok else f"{plugin.name} cannot run here. To use it: {hint}.")
            )
        self.kind.setCurrentIndex(max(0, self.kind.findData(table.coerce(table.KIND_KEY, v[table.KIND_KEY]))))
        self.kind.currentIndexChanged.connect(self._on_kind_changed)
        common = QFormLayout()
        for setting in table.common_backend_settings():
            if setting.key != table.KIND_KEY:
                add_field_row(common, self._field(setting, v))

        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QLabel("")
        self.test_result.setWordWrap(True)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)

        backend_box = QGroupBox("Recognition back end")
        bl = QVBoxLayout(backend_box)
        bl.addWidget(self.kind)
        bl.addWidget(self.stack)
        bl.addLayout(common)
        bl.addLayout(test_row)

        review_box = QGroupBox("Review")
        rf = QFormLayout(review_box)
        for setting in table.APP_SETTINGS:
            add_field_row(rf, self._field(setting, v))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(backend_box)
        lay.addWidget(review_box)
        lay.addWidget(buttons)
        self._on_kind_changed()
        self.resize(560, 0)

    def _backend_page(self, kind: str, values: dict[str, Any], unavailable: str) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        for setting in table.backend_settings(kind):
            add_field_row(form, self._field(setting, values))
        hint = QLabel(unavailable)
        hint.setWordWrap(True)
        hint.setObjectName("hintLabel")
        hint.setVisible(bool(unavailable))
        form.addRow(hint)
        self.hints[kind] = hint
        if PLUGINS[kind].is_remote:
            note = QLabel(REMOTE_NOTE)
            note.setWordWrap(True)
            note.setObjectName("hintLabel")
            form.addRow(note)
        return page

    def _field(self, setting: table.Setting, values: dict[str, Any]) -> SettingField:
        field = make_field(setting, values.get(setting.key), self)
        siblings = self.fields.setdefault(setting.key, [])
        siblings.append(field)

        def follow(value: Any) -> None:  # a key shown on several pages keeps its editors in step
            for other in self.fields[setting.key]:
                if other is not field:
                    other.set_value(value)

        field.on_change(follow)
        return field

    def field(self, key: str) -> SettingField:
        """The editor of setting ``key`` (on the chosen back end's page when several pages show it)."""
        fields = self.fields[key]
        page = self.stack.currentWidget()
        return next((f for f in fields if page is not None and page.isAncestorOf(f.editor)), fields[0])

    def _on_kind_changed(self) -> None:
        self.stack.setCurrentIndex(list(PLUGINS).index(self.kind.currentData()))
        self.test_result.setText("")

    def values(self) -> dict[str, Any]:
        """settings key -> the value shown, for every setting of the table."""
        return {table.KIND_KEY: self.kind.currentData()} | {key: self.field(key).value() for key in self.fields}

    def test_connection(self) -> None:
        """Open the chosen back end on a worker and run one dummy batch; report name and latency."""
        cfg = table.backend_config(self.values())
        self.test_button.setEnabled(False)
        self.test_result.setText("Connecting…")

        def probe() -> str:
            import numpy as np

            backend = open_backend(cfg)
            try:
                spec = backend.spec
                batch = np.zeros((1, *spec.input_shape), np.float32)
                t0 = time.perf_counter()
                backend.infer(batch)
                ms = (time.perf_counter() - t0) * 1e3
                return f"OK: {spec.name} {spec.version} on {backend.label}, {ms:.0f} ms per crop"
            finally:
                backend.close()

        run_job(self._pool, "probe", probe, self._on_probe_finished, self._on_probe_failed)

    def _on_probe_finished(self, _job: object, message: str, _ms: float) -> None:
        self.test_button.setEnabled(True)
        self.test_result.setText(f"<span style='color:#15803d'>{html.escape(message)}</span>")
        self.connection_tested.emit(True, message)

    def _on_probe_failed(self, _job: object, exc: Exception) -> None:
        self.test_button.setEnabled(True)
        message = user_text(exc)
        self.test_result.setText(f"<span style='color:#b91c1c'>{html.escape(message)}</span>")
        self.connection_tested.emit(False, message)


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
