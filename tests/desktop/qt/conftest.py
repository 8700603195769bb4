"""Fixtures for the Qt shell: generated pages and the REAL window on the micro PARSeq model."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt drives the window")
pytest.importorskip("PySide6", reason="the desktop app needs PySide6")

TEXT_LINES = ["Patient seen today", "BP 120/80 pulse 72", "Plan: review in 2 weeks"]


@pytest.fixture
def page_png(tmp_path: Path) -> Path:
    """A synthetic note page: three lines of dark text on white, 1200x900 pixels."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (1200, 900), "white")
    draw = ImageDraw.Draw(img)
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 36)
    except OSError:
        font = ImageFont.load_default()
    for i, line in enumerate(TEXT_LINES):
        draw.text((80, 100 + i * 90), line, fill="black", font=font)
    folder = tmp_path / "docs"
    folder.mkdir()
    path = folder / "note.png"
    img.save(path)
    return path


def _pdf(path: Path, pages: int, **save: object) -> Path:
    import pymupdf

    doc = pymupdf.open()
    for p in range(pages):
        page = doc.new_page(width=612, height=792)
        page.insert_text((72, 100), f"Clinical note page {p + 1}", fontsize=18)
        page.insert_text((72, 140), "Temp 37.2 resp 16 sats 98%", fontsize=14)
    path.parent.mkdir(exist_ok=True)
    doc.save(str(path), **save)
    doc.close()
    return path


@pytest.fixture
def note_pdf(tmp_path: Path) -> Path:
    return _pdf(tmp_path / "pdfs" / "note.pdf", 3)


@pytest.fixture
def locked_pdf(tmp_path: Path) -> Path:
    import pymupdf

    return _pdf(
        tmp_path / "pdfs" / "locked.pdf",
        1,
        encryption=pymupdf.PDF_ENCRYPT_AES_256,  # type: ignore[attr-defined]  # missing from its stubs
        user_pw="s3cret",
        owner_pw="owner-pw",
    )


class Hooks:
    """Captures what the window would show in modal dialogs."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str, str | None]] = []
        self.password_prompts: list[tuple[str, bool]] = []
        self.passwords: list[str | None] = []

    def error(self, title: str, message: str, hint: str | None) -> None:
        self.errors.append((title, message, hint))

    def password(self, filename: str, is_retry: bool) -> str | None:
        self.password_prompts.append((filename, is_retry))
        return self.passwords.pop(0) if self.passwords else None


@pytest.fixture
def make_window(qtbot, tmp_path: Path, micro_onnx: Path):
    """Build the real app (build_app) with private settings and session store; close it after.

    Dialog hooks are replaced by a :class:`Hooks` recorder (``window.hooks``). The "unreadable — type
    it" mark is off unless ``--unreadable-below`` is given: the random micro model reads only junk.
    """
    from desktop.app import build_app

    windows = []

    def make(*args: str, model: Path | None = micro_onnx, wait_backend: bool = True):
        argv = [*args, "--settings-file", str(tmp_path / "settings.ini"), "--store-dir", str(tmp_path / "store")]
        if "--unreadable-below" not in args:  # the random test model reads junk everywhere: keep its readings
            argv += ["--unreadable-below", "0"]
        if model is not None:
            argv += ["--model", str(model)]
        _app, window = build_app(argv)
        hooks = Hooks()
        window.error_hook = hooks.error
        window.password_hook = hooks.password
        window.hooks = hooks
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        if wait_backend and model is not None:
            qtbot.waitUntil(lambda: window.recognition.recognizer is not None, timeout=30000)
        return window

    yield make
    for w in windows:
        w.close()


def wait_page(qtbot, window, index: int = 0) -> None:
    qtbot.waitUntil(lambda: window.view.has_page and window.documents.page_index == index, timeout=15000)
