"""Build the application without running it: ``build_app(argv) -> (QApplication, MainWindow)``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from desktop.core import settings as table

__all__ = ["build_app", "parse_args"]


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="notelasso", description="Review transcriptions of scanned clinical notes.")
    parser.add_argument("file", nargs="?", help="a PDF, TIFF, PNG or JPEG to open")
    table.add_cli_arguments(parser)
    parser.add_argument("--settings-file", type=Path, help="use this INI file for settings (default: per user)")
    parser.add_argument("--store-dir", type=Path, help="keep review sessions in this folder")
    parser.add_argument(
        "--demo-region",
        metavar="X0,Y0,X1,Y1",
        help="debug: draw this rectangle (page pixels) once the first page is shown",
    )
    parser.add_argument("--log-level", default="WARNING", help="DEBUG, INFO, WARNING (default) or ERROR")
    return parser.parse_args(list(argv))


def build_app(argv: Sequence[str] | None = None, *, settings_path: Path | None = None, store_dir: Path | None = None):
    """Create the QApplication and the main window; open the file named in ``argv`` if any.

    ``argv`` excludes the program name. Nothing runs until the caller calls ``app.exec()``.
    """
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.qt.main_window import MainWindow
    from desktop.qt.settings_store import SettingsStore
    from desktop.qt.style import apply_style

    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(["notelasso"])
    app.setApplicationName("NoteLasso")
    app.setOrganizationName("NoteLasso")
    apply_style(app)
    store = SettingsStore(args.settings_file or settings_path, overrides=table.from_cli(args))
    window = MainWindow(store, store_dir=args.store_dir or store_dir)
    if args.file:
        window.open_path(args.file)
    if args.demo_region:
        _schedule_demo_region(window, args.demo_region)
    QTimer.singleShot(0, window.view.setFocus)
    return app, window


def _schedule_demo_region(window, spec: str) -> None:
    x0, y0, x1, y1 = (float(v) for v in spec.split(","))
    poly = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]

    def draw(_index: int) -> None:
        window.documents.page_shown.disconnect(draw)
        window.view.draw_polygon(poly)

    window.documents.page_shown.connect(draw)
