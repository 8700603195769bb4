"""The Qt shell: windows, views and workers. Thin: it shows core state and sends user intent."""

from __future__ import annotations

__all__ = ["MainWindow"]


def __getattr__(name: str):
    if name == "MainWindow":
        from desktop.qt.main_window import MainWindow

        return MainWindow
    raise AttributeError(name)
