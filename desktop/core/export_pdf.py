"""Searchable PDF: the page images with an invisible text layer (render mode 3) at word positions.

The text layer (:mod:`desktop.core.pdf_text`) extracts back as the reviewed text in every script
(Latin, Arabic in logical order, CJK, emoji) and costs time linear in the number of words.

PDF documents keep their original pages (copied, not re-rendered); image documents become one
PDF page per image at the session's dpi, the image embedded as PNG (lossless) or as the
original JPEG bytes.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.core.export_base import ExportError, PageExport, atomic_path, region_lines, sign_off_line, xml_text
from desktop.core.pdf_text import FontChain, TextLayer
from desktop.core.regions import Region

if TYPE_CHECKING:
    from desktop.core.session import ReviewSession
    from inference.documents import Document

log = logging.getLogger(__name__)


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
        fonts = FontChain.load()
        word_count = 0
        embeds_fonts = False
        for p in pages:
            to_pt = px_to_pt
            if src is not None:
                out.insert_pdf(src, from_page=p.index, to_page=p.index)
                page = out[-1]
                # a page over the pixel cap was rendered (and its regions drawn) at a reduced scale
                to_pt = px_to_pt / document.page_info(p.index, session.dpi).scale
            else:
                w, h = p.width or 1, p.height or 1
                page = out.new_page(width=w * px_to_pt, height=h * px_to_pt)
                page.insert_image(page.rect, stream=_page_image_bytes(document, p.index, session.dpi))
            layer = TextLayer(page, fonts)
            for r in p.regions:
                inner = _smaller_regions(r, p.regions)
                for line in region_lines(r):
                    # word boxes in the page as displayed (rotation applied), in points; a word that a
                    # smaller region over it also holds is written once, from the smaller region
                    words = [
                        (pymupdf.Rect(*(v * to_pt for v in wd.box)), xml_text(wd.text))
                        for wd in line.words
                        if not any(_holds(box, wd.box) for box in inner)
                    ]
                    if words:
                        layer.add_line(words, turn=r.rotation)
            embeds_fonts = layer.commit() or embeds_fonts
            word_count += layer.words
        if embeds_fonts:
            try:
                out.subset_fonts()  # embed only the glyphs used
            except Exception:  # noqa: BLE001 - older MuPDF without subsetting: a larger file, still correct
                log.info("font subsetting unavailable")
        if signed := sign_off_line(session):
            out.set_metadata({**(out.metadata or {}), "keywords": f"notelasso-sign-off: {signed}"})
        with atomic_path(out_path, lambda path: check_pdf(path, len(pages))) as tmp:
            out.save(str(tmp), garbage=3, deflate=True)
        log.info("searchable PDF: %d page(s), %d word(s)", len(pages), word_count)
    finally:
        out.close()
        if src is not None:
            src.close()
    return Path(out_path)


def _area(box: tuple[float, float, float, float]) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _smaller_regions(region: Region, others: Iterable[Region]) -> list[tuple[float, float, float, float]]:
    """The boxes of the regions smaller than ``region`` that overlap it (e.g. lines under a page rectangle)."""
    x0, y0, x1, y1 = region.bbox
    return [
        o.bbox
        for o in others
        if o.id != region.id
        and _area(o.bbox) < _area(region.bbox)
        and o.bbox[0] < x1
        and o.bbox[2] > x0
        and o.bbox[1] < y1
        and o.bbox[3] > y0
    ]


def _holds(box: tuple[float, float, float, float], word: tuple[float, ...]) -> bool:
    """Whether ``box`` holds the centre of the ``word`` box."""
    cx, cy = (word[0] + word[2]) / 2, (word[1] + word[3]) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


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
