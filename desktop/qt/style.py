"""Look and feel: Fusion, a calm neutral palette, one small style sheet."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

__all__ = ["apply_style"]

ACCENT = "#2563eb"

STYLE_SHEET = """
QMainWindow::separator { width: 1px; height: 1px; background: #d5d9de; }
QToolBar { border: none; border-bottom: 1px solid #d5d9de; padding: 3px 6px; spacing: 2px; background: #f7f8fa; }
QToolButton { padding: 4px 7px; border-radius: 5px; }
QToolButton:hover { background: #e8ebef; }
QToolButton:checked { background: #dbe6fd; color: #1e40af; }
QDockWidget::title { padding: 6px 10px; background: #f7f8fa; border-bottom: 1px solid #e1e4e8; font-weight: 600; }
QListWidget { border: 1px solid #e1e4e8; border-radius: 6px; background: white; alternate-background-color: #fafbfc; }
QListWidget::item { padding: 4px 4px; }
QListWidget::item:selected { background: #dbe6fd; color: #111827; }
QPlainTextEdit { border: 1px solid #cfd4da; border-radius: 6px; background: white; padding: 4px;
                 selection-background-color: #bfd3fb; selection-color: black; }
QPlainTextEdit:focus { border: 2px solid #2563eb; }
QLabel#cropView { background: #ffffff; border: 1px solid #e1e4e8; border-radius: 6px; }
QLabel#panelTitle { font-weight: 600; color: #1f2937; }
QLabel#hintLabel, QLabel#legendLabel { color: #6b7280; font-size: 11px; }
QLabel#confidenceLabel { color: #92400e; font-size: 11px; }
QLabel#emptyHint { color: #6b7280; font-size: 16px; background: #eef0f3; }
QLabel#pageLabel, QLabel#zoomLabel { color: #374151; padding: 0 4px; }
QLabel#remoteBadge { background: #dc2626; color: white; font-weight: 700; border-radius: 4px; padding: 1px 8px; }
QWidget#banner { background: #fff7e6; border-bottom: 1px solid #f5c46b; }
QWidget#banner QLabel { color: #7a4b00; }
QWidget#reviewBanner { background: #fff7e6; border-bottom: 1px solid #f5c46b; }
QWidget#reviewBanner QLabel { color: #7a4b00; }
QWidget#reviewBanner[readOnly="true"] { background: #fde8e8; border-bottom: 2px solid #c62828; }
QWidget#reviewBanner[readOnly="true"] QLabel { color: #8e1b1b; font-weight: bold; }
QStatusBar { background: #f7f8fa; border-top: 1px solid #e1e4e8; }
QStatusBar QLabel { padding: 0 8px; color: #374151; }
"""


def apply_style(app: QApplication) -> None:
    app.setStyle("Fusion")
    pal = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#f3f4f6",
        QPalette.ColorRole.WindowText: "#1f2937",
        QPalette.ColorRole.Base: "#ffffff",
        QPalette.ColorRole.AlternateBase: "#f7f8fa",
        QPalette.ColorRole.Text: "#111827",
        QPalette.ColorRole.Button: "#f7f8fa",
        QPalette.ColorRole.ButtonText: "#1f2937",
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#1f2937",
        QPalette.ColorRole.ToolTipText: "#ffffff",
        QPalette.ColorRole.PlaceholderText: "#9ca3af",
        QPalette.ColorRole.Link: ACCENT,
    }
    for role, colour in colours.items():
        pal.setColor(role, QColor(colour))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#9ca3af"))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#9ca3af"))
    app.setPalette(pal)
    font = QFont(app.font())
    font.setPointSizeF(max(font.pointSizeF(), 10.0))
    app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)
