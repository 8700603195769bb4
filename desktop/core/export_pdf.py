"""Searchable PDF: the page images with an invisible text layer (render mode 3) at word positions.

The text layer (:mod:`desktop.core.pdf_text`) extracts back as the reviewed text in every script
(Latin, Arabic in logical order, CJK, emoji) and costs time linear in the number of words.

How the page images go in is the reviewer's choice (:class:`PdfOptions`, remembered as the
settings ``export/pdf_dpi`` and ``export/pdf_quality``):

- resolution "original" (0): PDF documents keep their original pages (copied, not re-rendered);
  image documents become one PDF page per image at the session's dpi with the image's own pixels.
  A resolution in dpi re-renders a PDF page at that resolution as one image (its text layer is then
  only ours), and scales an image down to it (never up: a scan holds no more detail than it has).
- quality "lossless" (0): PNG, or the original PNG/JPEG bytes when nothing changes; a JPEG quality
  (1-100) encodes the page images as JPEG. A PDF page copied as it is keeps its own images.

Whatever the options, the page keeps its size in points, so the text layer lies where it did.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.core.export_base import ExportError, PageExport, atomic_path, region_lines, sign_off_line, xml_text
from desktop.core.pdf_text import FontChain, TextLayer
from desktop.core.regions import Region

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pymupdf

    from desktop.core.session import ReviewSession
    from inference.documents import Document

log = logging.getLogger(__name__)

#: The resolutions and qualities offered (0: the original resolution; lossless).
DPI_CHOICES = (0, 150, 200, 300)
QUALITY_CHOICES = (0, 95, 85, 75, 60)


def describe_dpi(dpi: int) -> str:
    return "original" if dpi <= 0 else f"{dpi} dpi"


def describe_quality(quality: int) -> str:
    return "lossless" if quality <= 0 else f"JPEG, quality {quality}"


@dataclass(frozen=True, slots=True)
class PdfOptions:
    """How a searchable PDF carries its page images (see the module's docstring).

    ``dpi``: 0 keeps the original resolution, else the resolution of the page images.
    ``jpeg_quality``: 0 is lossless (PNG or the original bytes), 1-100 a JPEG quality.
    """

    dpi: int = 0
    jpeg_quality: int = 0

    @classmethod
    def from_settings(cls, values: dict[str, Any]) -> PdfOptions:
        """The options stored as ``export/pdf_dpi`` and ``export/pdf_quality`` (defaults when absent)."""
        return cls(int(values.get("export/pdf_dpi") or 0), int(values.get("export/pdf_quality") or 0))

    @property
    def is_original(self) -> bool:
        return self.dpi <= 0 and self.jpeg_quality <= 0

    def describe(self) -> str:
        return f"{describe_dpi(self.dpi)}, {describe_quality(self.jpeg_quality)}"


def _encode(arr: npt.NDArray[np.uint8], jpeg_quality: int) -> bytes:
    """An RGB page as PNG (lossless) or JPEG; grey pages as one channel."""
    from PIL import Image

    img = Image.fromarray(arr)
    if arr.ndim == 3 and (arr[..., 0] == arr[..., 1]).all() and (arr[..., 1] == arr[..., 2]).all():
        img = img.convert("L")
    buf = io.BytesIO()
    if jpeg_quality > 0:
        img.save(buf, format="JPEG", quality=min(100, jpeg_quality), optimize=True)
    else:
        img.save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def _page_image_bytes(document: Document, index: int, dpi: int, options: PdfOptions = PdfOptions()) -> bytes:
    """An image document's page: its own pixels (taken as ``dpi``), scaled down to ``options.dpi``."""
    from PIL import Image

    path = document.path
    if options.is_original and document.page_count == 1 and path.suffix.lower() in (".jpg", ".jpeg", ".png"):
        with Image.open(path) as probe:
            is_upright = probe.getexif().get(0x0112, 1) == 1  # no EXIF rotation to apply
        if is_upright:
            return path.read_bytes()  # the original scan, bit for bit
    arr = document.render(index, dpi)
    if 0 < options.dpi < dpi:
        import numpy as np

        h, w = arr.shape[:2]
        size = (max(1, round(w * options.dpi / dpi)), max(1, round(h * options.dpi / dpi)))
        arr = np.asarray(Image.fromarray(arr).resize(size, Image.Resampling.LANCZOS), dtype=np.uint8)
    return _encode(arr, options.jpeg_quality)


def _add_page(
    out: pymupdf.Document,
    src: pymupdf.Document | None,
    document: Document,
    p: PageExport,
    session_dpi: int,
    options: PdfOptions,
) -> pymupdf.Page:
    """The page's image (copied, re-rendered or embedded as ``options`` say) as a new last page of ``out``."""
    if src is None:
        px_to_pt = 72.0 / session_dpi
        page = out.new_page(width=(p.width or 1) * px_to_pt, height=(p.height or 1) * px_to_pt)
        page.insert_image(page.rect, stream=_page_image_bytes(document, p.index, session_dpi, options))
    elif options.dpi <= 0:
        out.insert_pdf(src, from_page=p.index, to_page=p.index)
        page = out[-1]
    else:
        shown = src[p.index].rect  # the page as displayed (its rotation applied), in points
        page = out.new_page(width=shown.width, height=shown.height)
        page.insert_image(page.rect, stream=_encode(document.render(p.index, options.dpi), options.jpeg_quality))
    return page


def write_pdf(
    session: ReviewSession,
    pages: list[PageExport],
    document: Document,
    out_path: Path,
    options: PdfOptions = PdfOptions(),
) -> Path:
    """Write the searchable PDF of ``pages`` to ``out_path`` (atomically, checked); returns the path."""
    out = build_pdf(session, pages, document, options)
    try:
        with atomic_path(out_path, lambda path: check_pdf(path, len(pages))) as tmp:
            out.save(str(tmp), garbage=3, deflate=True)
    finally:
        out.close()
    return Path(out_path)


def build_pdf(
    session: ReviewSession, pages: list[PageExport], document: Document, options: PdfOptions = PdfOptions()
) -> pymupdf.Document:
    """The searchable PDF of ``pages`` in memory (the caller saves and closes it)."""
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
            page = _add_page(out, src, document, p, session.dpi, options)
            to_pt = px_to_pt
            if src is not None:
                # a page over the pixel cap was rendered (and its regions drawn) at a reduced scale
                to_pt = px_to_pt / document.page_info(p.index, session.dpi).scale
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
        log.info("searchable PDF: %d page(s), %d word(s), images %s", len(pages), word_count, options.describe())
    except BaseException:
        out.close()
        raise
    finally:
        if src is not None:
            src.close()
    return out


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


__all__ = [
    "DPI_CHOICES",
    "QUALITY_CHOICES",
    "PdfOptions",
    "build_pdf",
    "check_pdf",
    "describe_dpi",
    "describe_quality",
    "write_pdf",
]
