"""The Qt shell: windows, views and workers. Thin: it shows core state and sends user intent."""

from __future__ import annotations

__all__ = ["MainWindow"]


def __getattr__(name: str):  # noqa: ANN202 - lazy, so importing a submodule does not build the window
    if name == "MainWindow":
        from desktop.qt.main_window import MainWindow

        return MainWindow
    raise AttributeError(name)
