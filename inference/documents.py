"""Open scanned documents (PDF, TIFF, PNG, JPEG) as page images, with clear errors.

No Qt here: the CLI and the desktop app both use it. Pages are rendered lazily.

Every page is either shown right or refused with a :class:`DocumentError`:

- 16-bit greyscale keeps its grey levels; transparency is white paper; palette, CMYK and EXIF
  orientation are applied. MuPDF never prints on stdout; a PDF page MuPDF cannot draw (a
  truncated or corrupt file) is refused rather than shown blank.
- Memory is bounded: a page is rendered at no more than :data:`MAX_PAGE_PIXELS`. An image over
  the cap is reduced on load by a whole factor (JPEG in the decoder, others strip by strip), a
  PDF page over it is rendered at a lower dpi. ``page_info(i).scale`` records the reduction, so
  page pixels (the frame region coordinates are stored in) stay one frame for the view, the
  recogniser and the export. Pages under the cap are rendered exactly as before.
- One render adds at most :data:`RENDER_MEMORY_BOUND` bytes to the process: the decoded source
  frame (at most :data:`MAX_DECODED_BYTES`; larger images are refused), the page rendered and the
  one page kept for the next call.
"""

from __future__ import annotations

import logging
import math
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from inference.errors import DocumentError
from inference.imageops import rgb_to_gray

if TYPE_CHECKING:
    from PIL import Image as PILImage

__all__ = [
    "DEFAULT_DPI",
    "MAX_DECODED_BYTES",
    "MAX_PAGE_PIXELS",
    "MAX_PIXELS",
    "RENDER_MEMORY_BOUND",
    "Document",
    "ImageDocument",
    "PageInfo",
    "PasswordRequiredError",
    "PdfDocument",
    "open_document",
    "to_gray",
]

log = logging.getLogger(__name__)

#: Refuse images larger than this many pixels (Pillow's decompression-bomb limit is set to it).
MAX_PIXELS = 200_000_000
#: Refuse images whose decoded frame would take more bytes than this (Pillow keeps 1 byte a pixel
#: for bilevel, grey and palette images, 2 for 16-bit grey, 4 for colour).
MAX_DECODED_BYTES = 800_000_000
#: A page is rendered at no more pixels than this (a letter page at 600 dpi is 33.7 megapixels and
#: stays full size); a larger one is reduced, and ``PageInfo.scale`` says by how much.
MAX_PAGE_PIXELS = 40_000_000
#: Rows of a large image are converted and reduced this many pixels at a time.
STRIP_PIXELS = 4_000_000
#: The most memory one render adds: the decoded source frame, the page being rendered and the one
#: page an image document keeps (RGB, 3 bytes a pixel each), and the strips in between.
RENDER_MEMORY_BOUND = MAX_DECODED_BYTES + 2 * 3 * MAX_PAGE_PIXELS + 8 * STRIP_PIXELS
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"}
PDF_SUFFIXES = {".pdf"}
DEFAULT_DPI = 200

GrayImage = npt.NDArray[np.uint8]
RgbImage = npt.NDArray[np.uint8]

_EXIF_ORIENTATION = 0x0112
_SIDEWAYS = {5, 6, 7, 8}  # EXIF orientations that swap width and height


@dataclass(frozen=True, slots=True)
class PageInfo:
    """A page's size and how it is rendered.

    ``width_pt``/``height_pt``: PDF pages' size in points (None for images). ``scale``: page
    pixels per source pixel (images) or per pixel at the asked dpi (PDFs); 1.0 unless the page
    is over :data:`MAX_PAGE_PIXELS` and so rendered smaller. Region coordinates are in rendered
    page pixels.
    """

    index: int
    width_pt: float | None
    height_pt: float | None
    scale: float = 1.0


class Document:
    """A multi-page document. ``render(i)`` returns page i as an RGB uint8 array (H, W, 3)."""

    def __init__(self, path: Path, pages: int, kind: str) -> None:
        self.path = path
        self.page_count = pages
        self.kind = kind  # "pdf" or "image"
        self.is_repaired = False  # a damaged file was opened after repair: pages may be incomplete

    def render(self, index: int, dpi: int = DEFAULT_DPI) -> RgbImage:
        """Page ``index`` (0-based) as RGB pixels, at most :data:`MAX_PAGE_PIXELS` of them."""
        raise NotImplementedError

    def render_thumbnail(self, index: int, width: int) -> RgbImage:
        """Page ``index`` as RGB pixels no wider than ``width``, made as cheaply as the format allows."""
        from PIL import Image

        page = self.render(index)
        factor = max(1, math.ceil(page.shape[1] / width))
        return np.asarray(Image.fromarray(page).reduce(factor), dtype=np.uint8)

    def page_info(self, index: int, dpi: int = DEFAULT_DPI) -> PageInfo:
        """Size and render scale of page ``index`` at ``dpi``."""
        return PageInfo(index, None, None)

    def page_size(self, index: int, dpi: int = DEFAULT_DPI) -> tuple[int, int]:
        """(width, height) of ``render(index, dpi)`` in pixels, without rendering where possible."""
        h, w = self.render(index, dpi).shape[:2]
        return int(w), int(h)

    def close(self) -> None:
        """Release the file."""

    def __enter__(self) -> Document:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_index(self, index: int) -> None:
        if not 0 <= index < self.page_count:
            raise DocumentError(f"Page {index + 1} does not exist; the document has {self.page_count} page(s).")


def _quiet_mupdf() -> None:
    """MuPDF prints its errors and warnings on stdout; keep them (for counting) but print none."""
    import pymupdf

    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)


class PdfDocument(Document):
    """A PDF rendered with PyMuPDF, one thread at a time."""

    def __init__(self, path: Path, password: str | None = None) -> None:
        import pymupdf  # PyMuPDF 1.x

        _quiet_mupdf()
        pymupdf.TOOLS.mupdf_warnings(reset=True)
        try:
            doc = pymupdf.open(str(path), filetype="pdf")
        except Exception as exc:  # PyMuPDF raises FileDataError, RuntimeError, ...
            raise DocumentError(f"{path.name} is not a readable PDF (damaged or not a PDF).") from exc
        if doc.needs_pass and (password is None or not doc.authenticate(password)):
            doc.close()
            raise PasswordRequiredError(
                f"{path.name} is password-protected." if password is None else f"Wrong password for {path.name}."
            )
        if doc.page_count == 0:
            doc.close()
            raise DocumentError(f"{path.name} has no pages.")
        super().__init__(path, doc.page_count, "pdf")
        self.is_repaired = bool(doc.is_repaired)
        self._doc = doc
        self._lock = threading.Lock()  # a pymupdf.Document must not be used from two threads at once
        if self.is_repaired:
            log.warning("a damaged PDF was repaired on opening; its pages may be incomplete")
            if not self._any_page_draws():
                doc.close()
                raise DocumentError(
                    f"{path.name} is damaged (the file is truncated or corrupt): none of its pages can be shown."
                )

    def _any_page_draws(self, most: int = 50) -> bool:
        """Whether a page of a repaired file draws (tried small, in order, the first ``most``): a
        file none of whose pages draws is refused on opening rather than shown as blank pages."""
        for index in range(min(self.page_count, most)):
            try:
                self._draw(index, width=48)
            except DocumentError:
                continue
            return True
        return self.page_count > most  # past the pages tried: let the pages say for themselves

    def _zoom(self, width_pt: float, height_pt: float, dpi: int) -> float:
        zoom = dpi / 72
        pixels = width_pt * height_pt * zoom * zoom
        if pixels > MAX_PAGE_PIXELS:
            zoom *= math.sqrt(MAX_PAGE_PIXELS / pixels) * 0.999  # leave room for rounding up to whole pixels
        return zoom

    def page_info(self, index: int, dpi: int = DEFAULT_DPI) -> PageInfo:
        """Size in points, and the scale the page renders at for ``dpi``."""
        self._check_index(index)
        with self._lock:
            rect = self._doc[index].rect
        return PageInfo(index, rect.width, rect.height, self._zoom(rect.width, rect.height, dpi) * 72 / dpi)

    def page_size(self, index: int, dpi: int = DEFAULT_DPI) -> tuple[int, int]:
        """(width, height) in pixels of the page rendered at ``dpi`` (capped), without rendering it."""
        import pymupdf

        self._check_index(index)
        with self._lock:
            rect = self._doc[index].rect
        zoom = self._zoom(rect.width, rect.height, dpi)
        box = (rect * pymupdf.Matrix(zoom, zoom)).irect
        return box.width, box.height

    def render(self, index: int, dpi: int = DEFAULT_DPI) -> RgbImage:
        """Page ``index`` at ``dpi`` (lower if over the cap). Raises DocumentError for a page MuPDF cannot draw."""
        return self._draw(index, dpi=dpi)

    def render_thumbnail(self, index: int, width: int) -> RgbImage:
        """Page ``index`` drawn ``width`` pixels wide or less (a low dpi, not a reduced page)."""
        return self._draw(index, width=width)

    def _draw(self, index: int, *, dpi: int = DEFAULT_DPI, width: int | None = None) -> RgbImage:
        import pymupdf

        self._check_index(index)
        with self._lock:
            pymupdf.TOOLS.mupdf_warnings(reset=True)
            page = self._doc[index]
            rect = page.rect
            if width is None:
                zoom = self._zoom(rect.width, rect.height, dpi)
            else:
                zoom = min(1.0, width / max(rect.width, 1.0)) * 0.999
            try:
                pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False, colorspace="rgb")  # type: ignore[arg-type]  # PyMuPDF takes a name too
            except Exception as exc:
                raise DocumentError(f"Page {index + 1} of {self.path.name} could not be rendered.") from exc
            problems = [line for line in pymupdf.TOOLS.mupdf_warnings(reset=True).splitlines() if line.strip()]
            page_pixels = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, 3).copy()
        if problems:
            if int(page_pixels.min()) == 255:
                raise DocumentError(
                    f"Page {index + 1} of {self.path.name} is damaged (the file is truncated or corrupt) "
                    "and cannot be shown."
                )
            log.warning("page %d was drawn with %d MuPDF warning(s); it may be incomplete", index + 1, len(problems))
        return page_pixels

    def close(self) -> None:
        """Close the PDF."""
        with self._lock:
            self._doc.close()


def _bytes_per_pixel(mode: str) -> int:
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


def _has_alpha(img: PILImage.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in img.info


def _to_rgb(img: PILImage.Image, *, has_alpha: bool) -> PILImage.Image:
    """Any Pillow mode -> 8-bit RGB: 16/32-bit grey scaled (not clipped), transparency over white paper."""
    from PIL import Image

    mode = img.mode
    if mode == "RGB" and not has_alpha:
        return img
    if mode.startswith("I") or mode == "F":
        values = np.asarray(img)
        if mode == "F":
            grey = np.clip(np.rint(values), 0, 255).astype(np.uint8)
        else:  # 16-bit samples (Pillow reads 16-bit grey PNG/TIFF as I;16 or I)
            grey = np.rint(np.clip(values, 0, 65535) / 257.0).astype(np.uint8)
        return Image.fromarray(grey).convert("RGB")
    if has_alpha:
        rgba = img.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, rgba).convert("RGB")
    return img.convert("RGB")  # bilevel, grey, palette, CMYK, YCbCr


def _reduce_to_rgb(img: PILImage.Image, factor: int, *, has_alpha: bool) -> RgbImage:
    """Convert ``img`` to RGB and reduce it by ``factor``, a strip of rows at a time (bounded memory)."""
    w, h = img.size
    out = np.empty((math.ceil(h / factor), math.ceil(w / factor), 3), np.uint8)
    rows = max(factor, STRIP_PIXELS // max(w, 1) // factor * factor)
    for top in range(0, h, rows):
        strip = _to_rgb(img.crop((0, top, w, min(h, top + rows))), has_alpha=has_alpha)
        if factor > 1:
            strip = strip.reduce(factor)
        out[top // factor : top // factor + strip.height] = np.asarray(strip, dtype=np.uint8)
    return out


def reduction_factor(width: int, height: int, max_pixels: int = MAX_PAGE_PIXELS) -> int:
    """The smallest whole factor that brings a width x height image to at most ``max_pixels``."""
    factor = max(1, math.ceil(math.sqrt(width * height / max_pixels)))
    while math.ceil(width / factor) * math.ceil(height / factor) > max_pixels:
        factor += 1
    return factor


class ImageDocument(Document):
    """PNG/JPEG/TIFF/BMP (multi-page TIFF pages are frames), reduced when over :data:`MAX_PAGE_PIXELS`."""

    def __init__(self, path: Path) -> None:
        img = self._open(path)
        try:
            frames = int(getattr(img, "n_frames", 1))
            self._check_frame(img, path, 1)
            self._is_jpeg = img.format == "JPEG"  # JPEG reduces by powers of two in the decoder
        finally:
            img.close()
        super().__init__(path, frames, "image")
        self._lock = threading.Lock()
        self._last: tuple[int, RgbImage] | None = None  # the last page rendered (its thumbnail follows)

    @staticmethod
    def _open(path: Path) -> PILImage.Image:
        from PIL import Image, UnidentifiedImageError

        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                img = Image.open(path)
                img.size  # noqa: B018 - forces header parse
            return img
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise DocumentError(f"{path.name} is too large (over {MAX_PIXELS // 1_000_000} megapixels).") from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise DocumentError(f"{path.name} is not a readable image (damaged or unsupported format).") from exc

    @staticmethod
    def _check_frame(img: PILImage.Image, path: Path, page: int) -> None:
        if img.width * img.height > MAX_PIXELS:
            raise DocumentError(f"{path.name} is too large (over {MAX_PIXELS // 1_000_000} megapixels).")
        if img.width * img.height * _bytes_per_pixel(img.mode) > MAX_DECODED_BYTES:
            raise DocumentError(
                f"Page {page} of {path.name} is too large to open ({img.width} x {img.height} pixels in colour)."
            )

    def _frame_header(self, index: int) -> tuple[int, int, int]:
        """(width, height, EXIF orientation) of frame ``index``, read from its header."""
        img = self._open(self.path)
        try:
            img.seek(index)
            orientation = int(img.getexif().get(_EXIF_ORIENTATION, 1)) if index == 0 else 1
            return img.width, img.height, orientation
        except (OSError, ValueError, EOFError) as exc:
            raise DocumentError(f"Page {index + 1} of {self.path.name} could not be read (damaged).") from exc
        finally:
            img.close()

    def page_info(self, index: int, dpi: int = DEFAULT_DPI) -> PageInfo:
        """``scale`` is 1/factor when the image is reduced to fit :data:`MAX_PAGE_PIXELS`."""
        self._check_index(index)
        w, h, _ = self._frame_header(index)
        return PageInfo(index, None, None, 1.0 / self._page_factor(w, h))

    def page_size(self, index: int, dpi: int = DEFAULT_DPI) -> tuple[int, int]:
        """(width, height) of the rendered page: reduced, and turned as its EXIF orientation says."""
        self._check_index(index)
        w, h, orientation = self._frame_header(index)
        factor = self._page_factor(w, h)
        size = (math.ceil(w / factor), math.ceil(h / factor))
        return (size[1], size[0]) if orientation in _SIDEWAYS else size

    def _page_factor(self, width: int, height: int) -> int:
        factor = reduction_factor(width, height)
        return 1 << (factor - 1).bit_length() if factor > 1 and self._is_jpeg else factor

    def render(self, index: int, dpi: int = DEFAULT_DPI) -> RgbImage:
        """Page ``index`` as RGB; ``dpi`` is ignored (an image's pixels are its page pixels)."""
        self._check_index(index)
        with self._lock:
            if self._last is not None and self._last[0] == index:
                return self._last[1]
            self._last = None  # let the previous page go before decoding the next
            page = self._decode(index, None)
            self._last = (index, page)
            return page

    def render_thumbnail(self, index: int, width: int) -> RgbImage:
        """Page ``index`` no wider than ``width``: from the page just rendered, else decoded reduced."""
        from PIL import Image

        self._check_index(index)
        with self._lock:
            if self._last is not None and self._last[0] == index:
                page = self._last[1]
                factor = max(1, math.ceil(page.shape[1] / width))
                return np.asarray(Image.fromarray(page).reduce(factor), dtype=np.uint8)
            return self._decode(index, width)

    def _decode(self, index: int, width: int | None) -> RgbImage:
        from PIL import Image

        img = self._open(self.path)
        try:
            img.seek(index)
            self._check_frame(img, self.path, index + 1)
            w, h = img.size
            orientation = int(img.getexif().get(_EXIF_ORIENTATION, 1)) if index == 0 else 1
            if width is None:
                factor = self._page_factor(w, h)
            else:
                side = w if orientation not in _SIDEWAYS else h
                factor = max(1, math.ceil(side / width))
                factor = 1 << (factor - 1).bit_length() if self._is_jpeg else factor
            if factor > 1 and img.format == "JPEG":
                img.draft(None, (max(1, w // factor), max(1, h // factor)))
                factor = max(1, factor // max(1, round(w / img.width)))
            has_alpha = _has_alpha(img)
            img.load()
            page = _reduce_to_rgb(img, factor, has_alpha=has_alpha)
        except DocumentError:
            raise
        except (OSError, ValueError, EOFError, SyntaxError, Image.DecompressionBombError) as exc:
            raise DocumentError(
                f"Page {index + 1} of {self.path.name} could not be decoded (the file is damaged or truncated)."
            ) from exc
        finally:
            img.close()
        return _upright(page, orientation)

    def close(self) -> None:
        """Forget the page kept for the next call."""
        with self._lock:
            self._last = None


def _upright(page: RgbImage, orientation: int) -> RgbImage:
    """Turn ``page`` as its EXIF orientation says (as ``ImageOps.exif_transpose`` does)."""
    from PIL import Image

    turn = Image.Transpose
    method = {
        2: turn.FLIP_LEFT_RIGHT,
        3: turn.ROTATE_180,
        4: turn.FLIP_TOP_BOTTOM,
        5: turn.TRANSPOSE,
        6: turn.ROTATE_270,
        7: turn.TRANSVERSE,
        8: turn.ROTATE_90,
    }.get(orientation)
    return page if method is None else np.asarray(Image.fromarray(page).transpose(method), dtype=np.uint8)


class PasswordRequiredError(DocumentError):
    """The PDF is encrypted: ask for the password and open again."""


def open_document(path: str | Path, password: str | None = None) -> Document:
    """Open a PDF or image. Raises DocumentError (or PasswordRequiredError) with a clear message.

    Refused: a missing file, a link loop, anything not a regular file (a pipe would block), an empty
    file, an unreadable, encrypted (without its password), page-less or too large document.
    """
    path = Path(path)
    if not path.exists():
        if path.is_symlink():
            raise DocumentError(f"{path.name} is a broken or looping link.")
        raise DocumentError(f"File not found: {path}")
    if not path.is_file():
        raise DocumentError(f"{path.name} is not a regular file (a folder, pipe or device) and cannot be opened.")
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise DocumentError(f"{path.name} cannot be read (permission or disk error).") from exc
    if size == 0:
        raise DocumentError(f"{path.name} is empty (0 bytes).")
    if head.startswith(b"%PDF") or path.suffix.lower() in PDF_SUFFIXES:
        return PdfDocument(path, password)
    return ImageDocument(path)


def to_gray(page: npt.NDArray[np.uint8]) -> GrayImage:
    """RGB or gray page -> gray uint8 (ITU-R 601 luma)."""
    if page.ndim == 2:
        return page
    return rgb_to_gray(page)
