"""Editors generated from settings: one widget per :class:`desktop.core.settings.Setting`.

A combo box for choices, a check box for on/off, spin boxes bounded by the setting's minimum and
maximum, a line edit with a browse button for files, a masked line edit for secrets. Labels,
tooltips, units and placeholders come from the setting, so a new setting needs no widget code
(napari builds its preferences dialog from its settings schema the same way).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from desktop.core.settings import Setting

__all__ = ["SettingField", "add_field_row", "make_field"]

_INT_LIMIT = 2**31 - 1


class SettingField:
    """One setting's editor: ``widget`` goes in a form row, ``editor`` is the input itself."""

    def __init__(
        self,
        setting: Setting,
        widget: QWidget,
        editor: QWidget,
        get: Callable[[], Any],
        put: Callable[[Any], None],
        changed: Any,
    ) -> None:
        self.setting = setting
        self.widget = widget
        self.editor = editor
        self._get = get
        self._put = put
        self._changed = changed  # the editor's Qt signal that fires on an edit

    @property
    def row_label(self) -> str:
        """The form row's label ('' for a check box, which carries its own text)."""
        return "" if isinstance(self.editor, QCheckBox) else self.label

    @property
    def label(self) -> str:
        return self.setting.label or self.setting.key.rsplit("/", 1)[-1].replace("_", " ").capitalize()

    def value(self) -> Any:
        """The value shown, as the setting's type (text is stripped)."""
        raw = self._get()
        return self.setting.coerce(raw.strip() if isinstance(raw, str) else raw)

    def set_value(self, value: Any) -> None:
        """Show ``value`` without emitting the change callback."""
        blocked = self.editor.blockSignals(True)
        try:
            self._put(self.setting.coerce(value))
        finally:
            self.editor.blockSignals(blocked)

    def on_change(self, callback: Callable[[Any], None]) -> None:
        """Call ``callback(value)`` whenever the user edits the value."""
        self._changed.connect(lambda *_: callback(self.value()))


def _decimals(step: float | None) -> int:
    return 2 if not step else max(0, -math.floor(math.log10(step)))


def make_field(setting: Setting, value: Any, parent: QWidget) -> SettingField:
    """An editor for ``setting`` showing ``value``; ``parent`` owns the file dialog of a path field."""
    value = setting.coerce(value)
    if setting.choices is not None:
        box = QComboBox()
        labels = setting.choice_labels or tuple(map(str, setting.choices))
        for choice, text in zip(setting.choices, labels, strict=True):
            box.addItem(text, choice)
        field = SettingField(
            setting,
            box,
            box,
            box.currentData,
            lambda v: box.setCurrentIndex(max(0, box.findData(v))),
            box.currentIndexChanged,
        )
    elif setting.type is bool:
        check = QCheckBox()
        field = SettingField(setting, check, check, check.isChecked, check.setChecked, check.toggled)
    elif setting.type in (int, float):
        spin = QSpinBox() if setting.type is int else QDoubleSpinBox()
        low = -_INT_LIMIT if setting.minimum is None else setting.minimum
        high = _INT_LIMIT if setting.maximum is None else setting.maximum
        if isinstance(spin, QDoubleSpinBox):
            spin.setDecimals(_decimals(setting.step))
        if isinstance(spin, QDoubleSpinBox):
            spin.setRange(float(low), float(high))
            if setting.step:
                spin.setSingleStep(float(setting.step))
        else:
            spin.setRange(int(low), int(high))
            if setting.step:
                spin.setSingleStep(int(setting.step))
        if setting.special_value:
            spin.setSpecialValueText(setting.special_value)
        if setting.suffix:
            spin.setSuffix(setting.suffix)
        field = SettingField(setting, spin, spin, spin.value, spin.setValue, spin.valueChanged)
    else:
        edit = QLineEdit()
        if setting.placeholder:
            edit.setPlaceholderText(setting.placeholder)
        if setting.secret:
            edit.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        widget: QWidget = edit
        if setting.is_path:
            widget = _with_browse_button(edit, setting, parent)
        field = SettingField(setting, widget, edit, edit.text, edit.setText, edit.textChanged)
    if isinstance(field.editor, QCheckBox):
        field.editor.setText(field.label)
    field.set_value(value)
    field.editor.setToolTip(setting.help)
    field.editor.setObjectName(setting.key)
    return field


def _with_browse_button(edit: QLineEdit, setting: Setting, parent: QWidget) -> QWidget:
    row_widget = QWidget()
    row = QHBoxLayout(row_widget)
    row.setContentsMargins(0, 0, 0, 0)
    browse = QPushButton("…")
    browse.setFixedWidth(32)
    browse.setToolTip(f"Choose the {setting.label.lower() or 'file'}")

    def pick() -> None:
        path, _ = QFileDialog.getOpenFileName(
            parent, f"Choose the {setting.label.lower() or 'file'}", edit.text(), setting.file_filter or ""
        )
        if path:
            edit.setText(path)

    browse.clicked.connect(pick)
    row.addWidget(edit, 1)
    row.addWidget(browse)
    return row_widget


def add_field_row(form: QFormLayout, field: SettingField) -> None:
    """Put ``field`` in ``form`` under its label (a check box spans the row with its own text)."""
    form.addRow(field.row_label, field.widget)
