"""Searchable PDF: the page images with an invisible text layer (render mode 3) at word positions.

PDF documents keep their original pages (copied, not re-rendered); image documents become one
PDF page per image at the session's dpi, the image embedded as PNG (lossless) or as the
original JPEG bytes.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.core.export_base import ExportError, PageExport, atomic_path, region_lines, xml_text

if TYPE_CHECKING:
    from collections.abc import Callable

    import pymupdf

    from desktop.core.session import ReviewSession
    from inference.documents import Document

log = logging.getLogger(__name__)

BASE_FONT = "helv"
UNICODE_FONT_NAME = "nlsans"
UNICODE_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
)


def _unicode_font() -> str | None:
    for f in UNICODE_FONT_FILES:
        if Path(f).is_file():
            return f
    return None


def _is_latin1(text: str) -> bool:
    return all(ord(c) < 256 for c in text)


def _page_image_bytes(document: Document, index: int, dpi: int) -> bytes:
    from PIL import Image

    path = document.path
    if document.page_count == 1 and path.suffix.lower() in (".jpg", ".jpeg", ".png"):
        with Image.open(path) as probe:
            is_upright = probe.getexif().get(0x0112, 1) == 1  # no EXIF rotation to apply
        if is_upright:
            return path.read_bytes()  # the original scan, bit for bit
    arr = document.render(index, dpi)
    img = Image.fromarray(arr)
    if arr.ndim == 3 and (arr[..., 0] == arr[..., 1]).all() and (arr[..., 1] == arr[..., 2]).all():
        img = img.convert("L")
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def _insert_word(
    page: pymupdf.Page,
    rect: pymupdf.Rect,
    text: str,
    font_for: Callable[[str], tuple[str, pymupdf.Font]],
    *,
    is_last: bool,
    turn: int = 0,
) -> None:
    """One word in render mode 3, stretched over its box; a trailing space (outside the box)
    keeps words apart for text extraction and search, however close the boxes are.
    ``turn``: the region's rotation (clockwise degrees the page was turned to read it)."""
    import pymupdf

    fontname, font = font_for(text)
    sideways = turn in (90, 270)
    length, height = (rect.height, rect.width) if sideways else (rect.width, rect.height)
    if height <= 0 or length <= 0 or not text:
        return
    fontsize = max(height * 0.8, 1.0)
    width = font.text_length(text, fontsize=fontsize)
    if width <= 0:
        return
    # Baseline near the bottom of the box as the word reads; stretch along the line so the
    # text spans the word box. A word on a turned region runs up (90), right-to-left upside
    # down (180) or down (270) the page. ``rect`` is in the page as displayed; rotated PDF
    # pages get the origin moved to the unrotated page space and the text turned with the page.
    start = {
        0: (rect.x0, rect.y1 - height * 0.2),
        90: (rect.x1 - height * 0.2, rect.y1),
        180: (rect.x1, rect.y0 + height * 0.2),
        270: (rect.x0 + height * 0.2, rect.y0),
    }[turn]
    origin = pymupdf.Point(*start) * page.derotation_matrix
    matrix = pymupdf.Matrix(length / width, 1) * pymupdf.Matrix(turn) * pymupdf.Matrix(page.rotation)
    page.insert_text(
        origin,
        text if is_last else text + " ",
        fontsize=fontsize,
        fontname=fontname,
        render_mode=3,
        morph=(origin, matrix),
        overlay=True,
    )


def write_pdf(session: ReviewSession, pages: list[PageExport], document: Document, out_path: Path) -> Path:
    import pymupdf

    px_to_pt = 72.0 / session.dpi
    out = pymupdf.open()
    src = None
    try:
        if document.kind == "pdf":
            src = pymupdf.open(str(document.path))
            if src.needs_pass:
                raise_password(document)
        uni_file = _unicode_font()
        helv = pymupdf.Font(BASE_FONT)
        uni = pymupdf.Font(fontfile=uni_file) if uni_file else None
        words = 0
        used_unicode = False
        for p in pages:
            if src is not None:
                out.insert_pdf(src, from_page=p.index, to_page=p.index)
                page = out[-1]
            else:
                w, h = p.width or 1, p.height or 1
                page = out.new_page(width=w * px_to_pt, height=h * px_to_pt)
                page.insert_image(page.rect, stream=_page_image_bytes(document, p.index, session.dpi))
            uni_inserted = False

            def font_for(text: str, page: pymupdf.Page = page) -> tuple[str, pymupdf.Font]:
                nonlocal uni_inserted, used_unicode
                if _is_latin1(text) or uni is None:
                    return BASE_FONT, helv
                if not uni_inserted:
                    page.insert_font(fontname=UNICODE_FONT_NAME, fontfile=uni_file)
                    uni_inserted = used_unicode = True
                return UNICODE_FONT_NAME, uni

            for r in p.regions:
                for line in region_lines(r):
                    for wi, wd in enumerate(line.words):
                        x0, y0, x1, y1 = (v * px_to_pt for v in wd.box)
                        rect = pymupdf.Rect(x0, y0, x1, y1)  # page as displayed (rotation applied)
                        _insert_word(
                            page, rect, xml_text(wd.text), font_for, is_last=wi == len(line.words) - 1, turn=r.rotation
                        )
                        words += 1
        if used_unicode:
            try:
                out.subset_fonts()  # embed only the glyphs used
            except Exception:  # noqa: BLE001 - older MuPDF without subsetting: a larger file, still correct
                log.info("font subsetting unavailable")
        with atomic_path(out_path, lambda path: check_pdf(path, len(pages))) as tmp:
            out.save(str(tmp), garbage=3, deflate=True)
        log.info("searchable PDF: %d page(s), %d word(s)", len(pages), words)
    finally:
        out.close()
        if src is not None:
            src.close()
    return Path(out_path)


def check_pdf(path: Path, page_count: int) -> None:
    """Raise ExportError unless ``path`` opens as a PDF of ``page_count`` pages."""
    import pymupdf

    try:
        with pymupdf.open(str(path), filetype="pdf") as doc:
            ok = doc.page_count == page_count and all(page.get_text() is not None for page in doc)
    except (RuntimeError, ValueError) as exc:  # pymupdf.FileDataError is a RuntimeError
        raise ExportError("The PDF export came out invalid, so it was not saved. Please report this.") from exc
    if not ok:
        raise ExportError("The PDF export came out invalid, so it was not saved. Please report this.")


def raise_password(document: Document) -> None:
    from inference.documents import PasswordRequiredError

    raise PasswordRequiredError(
        f"{document.path.name} is password-protected; it cannot be re-saved as a searchable PDF."
    )


__all__ = ["check_pdf", "write_pdf"]
