"""A preview of one page of the searchable PDF, made by the export itself (Qt-free).

The page is exported with the chosen :class:`~desktop.core.export_pdf.PdfOptions` into a PDF in
memory, exactly as the export writes it; the preview is that PDF's page rendered, and its text
layer read back by text extraction, word by word with its box. So what the reviewer sees is what a
search or a copy from the exported file will find, and where, at the image quality chosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from desktop.core.export import collect_pages
from desktop.core.export_pdf import PdfOptions, build_pdf

if TYPE_CHECKING:
    from desktop.core.session import ReviewSession
    from inference.documents import Document

__all__ = ["PdfPreview", "preview_pdf_page"]

#: A word of the text layer: (x0, y0, x1, y1) in the preview image's pixels, and its text.
Word = tuple[float, float, float, float, str]


@dataclass(frozen=True, slots=True)
class PdfPreview:
    """One exported page: ``image`` (RGB) as a PDF reader draws it, the ``words`` its text layer
    holds (in ``image`` pixels), the size of the page image embedded (None: the page was copied
    with its own content), and how many bytes the one-page PDF takes."""

    image: npt.NDArray[np.uint8]
    words: tuple[Word, ...]
    embedded_size: tuple[int, int] | None
    page_bytes: int
    page_points: tuple[float, float]

    @property
    def embedded_dpi(self) -> float | None:
        """The page image's resolution in the PDF (pixels per inch of the page), if it has one."""
        if self.embedded_size is None or self.page_points[0] <= 0:
            return None
        return self.embedded_size[0] / (self.page_points[0] / 72.0)


def preview_pdf_page(
    session: ReviewSession,
    document: Document,
    index: int,
    options: PdfOptions,
    *,
    width: int = 900,
    unreadable_below: float = 0.0,
) -> PdfPreview:
    """Export page ``index`` with ``options`` in memory and render it ``width`` pixels wide.

    Raises what the export raises (a password-protected PDF, an unreadable page).
    """
    import pymupdf

    pages = collect_pages(session, [index], document, unreadable_below)
    out = build_pdf(session, pages, document, options)
    try:
        data = out.tobytes(garbage=3, deflate=True)
    finally:
        out.close()
    with pymupdf.open(stream=data, filetype="pdf") as pdf:
        page = pdf[0]
        zoom = width / max(page.rect.width, 1.0)
        pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False, colorspace=pymupdf.csRGB)
        image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, 3).copy()
        words = tuple((w[0] * zoom, w[1] * zoom, w[2] * zoom, w[3] * zoom, str(w[4])) for w in page.get_text("words"))
        images = page.get_images(full=True)
        embedded = None
        if images and (options.dpi > 0 or document.kind != "pdf"):  # the page is our one image
            info = pdf.extract_image(images[0][0])
            embedded = (int(info["width"]), int(info["height"]))
        return PdfPreview(image, words, embedded, len(data), (page.rect.width, page.rect.height))
