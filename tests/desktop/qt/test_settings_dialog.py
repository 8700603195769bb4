"""One option schema: the settings, both command lines and the settings dialog are generated from it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QPushButton, QSpinBox

from desktop.core import settings as table
from inference.backends.plugins import PLUGINS

pytestmark = pytest.mark.gui

NEW_ADDRESS = "10.20.30.40:8001"


def with_default(kind: str, key: str, default: object):
    plugin = PLUGINS[kind]
    return replace(plugin, options=tuple(replace(o, default=default) if o.key == key else o for o in plugin.options))


def line_edit(dlg: object, key: str) -> QLineEdit:
    editor = dlg.field(key).editor  # type: ignore[attr-defined]
    assert isinstance(editor, QLineEdit), key
    return editor


def help_text(capsys, parse, argv: list[str]) -> str:
    with pytest.raises(SystemExit):
        parse(argv)
    return " ".join(capsys.readouterr().out.split())  # as read, whatever the terminal width


def test_a_default_changed_in_the_schema_shows_in_settings_both_clis_and_the_dialog(
    qtbot, monkeypatch, capsys, tmp_path
) -> None:
    from desktop.app import parse_args
    from desktop.qt.dialogs import SettingsDialog
    from desktop.qt.settings_store import SettingsStore
    from inference.cli import backend_values, build_parser

    # GIVEN the Triton back end's declared default address is changed in the schema, and only there
    monkeypatch.setitem(PLUGINS, "triton", with_default("triton", "url", NEW_ADDRESS))

    # THEN the settings table has it as the default ...
    assert table.defaults()["backend/url"] == NEW_ADDRESS
    # ... `notelasso` shows it in --help and a run without --url uses it
    assert f"(default: {NEW_ADDRESS})" in help_text(capsys, parse_args, ["--help"])
    args = parse_args(["--backend", "triton"])
    store = SettingsStore(tmp_path / "settings.ini", overrides=table.from_cli(args))
    assert store.get("backend/url") == NEW_ADDRESS
    assert table.backend_config(store.values()).options["url"] == NEW_ADDRESS
    assert table.remote_host(store.values()) == "10.20.30.40"
    # ... `notelasso-ocr` shows it in --help and a run without --url uses it
    parser = build_parser()
    assert f"(default: {NEW_ADDRESS})" in help_text(capsys, parser.parse_args, ["page", "--help"])
    assert backend_values(parser.parse_args(["page", "note.png", "--backend", "triton"]))["url"] == NEW_ADDRESS
    # ... and the settings dialog's generated editor shows it
    dlg = SettingsDialog(table.defaults(), None)
    qtbot.addWidget(dlg)
    assert line_edit(dlg, "backend/url").text() == NEW_ADDRESS
    assert dlg.values()["backend/url"] == NEW_ADDRESS


def test_the_dialog_has_an_editor_for_every_setting_of_the_right_kind(qtbot) -> None:
    from desktop.qt.dialogs import SettingsDialog

    values = table.defaults() | {"backend/timeout_s": 2.5, "backend/tls": True, "document/dpi": 300}
    dlg = SettingsDialog(values, None)
    qtbot.addWidget(dlg)
    # every setting round-trips unchanged
    assert dlg.values() == values

    def editor(key):
        return dlg.field(key).editor

    assert isinstance(editor("backend/tls"), QCheckBox) and editor("backend/tls").isChecked()
    timeout = editor("backend/timeout_s")
    assert isinstance(timeout, QDoubleSpinBox) and (timeout.minimum(), timeout.maximum()) == (0.1, 600.0)
    assert isinstance(editor("document/dpi"), QSpinBox) and editor("document/dpi").maximum() == 600
    assert editor("backend/threads").specialValueText() == "automatic"
    assert editor("backend/token_header").echoMode() == QLineEdit.EchoMode.PasswordEchoOnEdit
    path_row = dlg.field("backend/root_cert").widget
    assert path_row.findChild(QPushButton) is not None and path_row.findChild(QLineEdit) is editor("backend/root_cert")
    assert editor("backend/url").toolTip() == table.setting("backend/url").help
    # a bounded value is clamped by its editor, as by the stored settings
    timeout.setValue(9999)
    assert dlg.values()["backend/timeout_s"] == 600.0


def test_choosing_a_back_end_shows_only_its_options_and_notes(qtbot) -> None:
    from desktop.qt.dialogs import REMOTE_NOTE, SettingsDialog

    dlg = SettingsDialog(table.defaults(), None)
    qtbot.addWidget(dlg)
    dlg.show()
    assert isinstance(dlg.kind, QComboBox) and [dlg.kind.itemData(i) for i in range(dlg.kind.count())] == list(PLUGINS)
    assert dlg.field("backend/threads").editor.isVisible()
    assert not dlg.field("backend/url").editor.isVisible()
    dlg.kind.setCurrentIndex(dlg.kind.findData("triton"))
    assert dlg.field("backend/url").editor.isVisible() and dlg.field("backend/timeout_s").editor.isVisible()
    assert not dlg.field("backend/threads").editor.isVisible()
    page = dlg.stack.currentWidget()
    assert page is not None
    assert any(label.text() == REMOTE_NOTE for label in page.findChildren(type(dlg.test_result)))
    # a model file shared by two back ends is one setting: editing it on one page shows on the other
    line_edit(dlg, "backend/model_path").setText("/models/a.onnx")
    dlg.kind.setCurrentIndex(dlg.kind.findData("cpu"))
    assert line_edit(dlg, "backend/model_path").text() == "/models/a.onnx"
    assert dlg.values()["backend/kind"] == "cpu" and dlg.values()["backend/model_path"] == "/models/a.onnx"


def test_a_back_end_that_cannot_run_says_why(qtbot, monkeypatch) -> None:
    from desktop.qt.dialogs import SettingsDialog

    monkeypatch.setitem(PLUGINS, "triton", replace(PLUGINS["triton"], is_available=lambda: (False, "")))
    dlg = SettingsDialog(table.defaults(), None)
    qtbot.addWidget(dlg)
    assert "not available here" in dlg.kind.itemText(dlg.kind.findData("triton"))
    assert PLUGINS["triton"].install_hint in dlg.hints["triton"].text()
    assert dlg.hints["cpu"].text() == ""
