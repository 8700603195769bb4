"""Build the application without running it: ``build_app(argv) -> (QApplication, MainWindow)``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from desktop.core import settings as table

__all__ = ["build_app", "forward_to_running", "instance_name", "parse_args", "version_text"]


def version_text() -> str:
    """``notelasso <app version> (model <name> <version>)``: what ``--version`` prints; reads no model weights."""
    from importlib import metadata

    from inference.models import default_model_path
    from inference.spec import ModelSpec, sidecar_path

    try:
        app_version = metadata.version("notelasso")
    except metadata.PackageNotFoundError:
        app_version = "unknown"
    model = default_model_path()
    if model is None:
        return f"notelasso {app_version} (no bundled model)"
    try:
        spec = ModelSpec.from_json(sidecar_path(model).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"notelasso {app_version} (model {model.name}, version unreadable)"
    return f"notelasso {app_version} (model {spec.name} {spec.version})"


class _VersionAction(argparse.Action):
    """``--version``: computed only when asked, so parsing other flags reads no file."""

    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_kwargs: object) -> None:
        print(version_text())
        parser.exit()


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
    parser.add_argument(
        "--demo-export",
        type=Path,
        metavar="PDF",
        help="debug: once the demo region is read, export a searchable PDF here and quit",
    )
    parser.add_argument(
        "--demo-quit", action="store_true", help="debug: print 'first page shown' and quit once the first page is shown"
    )
    parser.add_argument("--log-level", default="WARNING", help="DEBUG, INFO, WARNING (default) or ERROR")
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="print the app and model versions and exit")
    return parser.parse_args(list(argv))


def instance_name(args: argparse.Namespace) -> str:
    """The name the running window listens on: one per user, settings file and review folder."""
    from desktop.qt.handoff import server_name

    return server_name(str(args.settings_file or ""), str(args.store_dir or ""))


def forward_to_running(argv: Sequence[str]) -> bool:
    """Hand the file named in ``argv`` to a NoteLasso window already running; True when it took it.

    Demo runs (``--demo-*``) and a launch without a file always start their own window.
    """
    args = parse_args(argv)
    if not args.file or args.demo_region or args.demo_export or args.demo_quit:
        return False
    from desktop.qt.handoff import hand_off

    return hand_off(instance_name(args), Path(args.file).resolve())


def build_app(
    argv: Sequence[str] | None = None,
    *,
    settings_path: Path | None = None,
    store_dir: Path | None = None,
    single_instance: bool = False,
):
    """Create the QApplication and the main window; open the file named in ``argv`` if any.

    ``argv`` excludes the program name. ``single_instance``: the window takes files that later launches
    hand to it (:func:`forward_to_running`). Nothing runs until the caller calls ``app.exec()``.
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
    if single_instance:
        _serve_hand_offs(window, instance_name(args))
    if args.demo_region:
        _schedule_demo_region(window, args.demo_region)
    if args.demo_export:
        _schedule_demo_export(app, window, args.demo_export)
    if args.demo_quit:
        _schedule_demo_quit(app, window)
    QTimer.singleShot(0, window.view.setFocus)
    return app, window


def _serve_hand_offs(window, name: str) -> None:
    """Open files handed over by later launches in ``window``, and bring it to the front."""
    from desktop.qt.handoff import HandOffServer

    def take(path: str) -> None:
        window.open_path(path)
        window.showNormal()
        window.raise_()
        window.activateWindow()

    window.hand_off_server = HandOffServer(name, parent=window)
    window.hand_off_server.file_received.connect(take)


def _schedule_demo_quit(app, window) -> None:
    def shown(_index: int) -> None:
        print("first page shown", flush=True)
        window.close()
        app.quit()

    window.documents.page_shown.connect(shown)


def _schedule_demo_export(app, window, out: Path) -> None:
    def read(_rid: str, _turn: int) -> None:
        ok = window.export_menu.export_to("pdf", Path(out))
        print("exported" if ok else "export failed", flush=True)
        window.close()
        app.exit(0 if ok else 1)

    def failed(*_args: object) -> None:
        print("reading the demo region failed", flush=True)
        window.close()
        app.exit(1)

    window.recognition.region_read.connect(read)
    window.recognition.region_failed.connect(failed)


def _schedule_demo_region(window, spec: str) -> None:
    x0, y0, x1, y1 = (float(v) for v in spec.split(","))
    poly = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]

    def draw(_index: int) -> None:
        window.documents.page_shown.disconnect(draw)
        window.view.draw_polygon(poly)

    window.documents.page_shown.connect(draw)
