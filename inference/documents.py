"""Open scanned documents (PDF, TIFF, PNG, JPEG) as page images, with clear errors.

No Qt here: the CLI and the desktop app both use it. Pages are rendered lazily.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import numpy.typing as npt

from inference.errors import DocumentError

#: Refuse images larger than this many pixels (a 30000x30000 scan would need ~2.7 GB).
MAX_PIXELS = 200_000_000
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"}
PDF_SUFFIXES = {".pdf"}
DEFAULT_DPI = 200

GrayImage = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class PageInfo:
    index: int
    width_pt: float | None  # PDF pages: size in points; images: None
    height_pt: float | None


class Document:
    """A multi-page document. ``render(i)`` returns page i as an RGB uint8 array (H, W, 3)."""

    def __init__(self, path: Path, pages: int, kind: str) -> None:
        self.path = path
        self.page_count = pages
        self.kind = kind  # "pdf" or "image"

    def render(self, index: int, dpi: int = DEFAULT_DPI) -> npt.NDArray[np.uint8]:
        raise NotImplementedError

    def page_info(self, index: int) -> PageInfo:
        return PageInfo(index, None, None)

    def close(self) -> None:
        pass

    def __enter__(self) -> Document:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_index(self, index: int) -> None:
        if not 0 <= index < self.page_count:
            raise DocumentError(f"Page {index + 1} does not exist; the document has {self.page_count} page(s).")


class PdfDocument(Document):
    def __init__(self, path: Path, password: str | None = None) -> None:
        import pymupdf  # PyMuPDF 1.x

        try:
            doc = pymupdf.open(str(path))
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
        self._doc = doc
        self._lock = threading.Lock()  # a pymupdf.Document must not be used from two threads at once

    def page_info(self, index: int) -> PageInfo:
        self._check_index(index)
        with self._lock:
            rect = self._doc[index].rect
        return PageInfo(index, rect.width, rect.height)

    def render(self, index: int, dpi: int = DEFAULT_DPI) -> npt.NDArray[np.uint8]:
        self._check_index(index)
        with self._lock:
            page = self._doc[index]
            w, h = page.rect.width * dpi / 72, page.rect.height * dpi / 72
            if w * h > MAX_PIXELS:
                raise DocumentError(f"Page {index + 1} is too large to render at {dpi} dpi.")
            try:
                pix = page.get_pixmap(dpi=dpi, alpha=False, colorspace="rgb")  # type: ignore[arg-type]  # PyMuPDF takes a name too
            except Exception as exc:
                raise DocumentError(f"Page {index + 1} of {self.path.name} could not be rendered.") from exc
            return np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, 3).copy()

    def close(self) -> None:
        with self._lock:
            self._doc.close()


class ImageDocument(Document):
    """PNG/JPEG/TIFF (multi-page TIFF pages are frames)."""

    def __init__(self, path: Path) -> None:
        from PIL import Image, UnidentifiedImageError

        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
        try:
            img = Image.open(path)
            img.size  # noqa: B018 - forces header parse
            frames = getattr(img, "n_frames", 1)
        except Image.DecompressionBombError as exc:
            raise DocumentError(f"{path.name} is too large (over {MAX_PIXELS // 1_000_000} megapixels).") from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise DocumentError(f"{path.name} is not a readable image (damaged or unsupported format).") from exc
        if img.width * img.height > MAX_PIXELS:
            raise DocumentError(f"{path.name} is too large (over {MAX_PIXELS // 1_000_000} megapixels).")
        super().__init__(path, frames, "image")
        self._img = img
        self._lock = threading.Lock()
        self._cache: dict[int, npt.NDArray[np.uint8]] = {}

    def render(self, index: int, dpi: int = DEFAULT_DPI) -> npt.NDArray[np.uint8]:
        self._check_index(index)
        with self._lock:
            if index not in self._cache:
                from PIL import Image, ImageOps

                try:
                    self._img.seek(index)
                    frame = ImageOps.exif_transpose(self._img) if index == 0 else self._img
                    self._img.load()
                    rgb = frame.convert("RGB")
                except (OSError, ValueError, Image.DecompressionBombError) as exc:
                    raise DocumentError(
                        f"Page {index + 1} of {self.path.name} could not be decoded (the file is damaged or truncated)."
                    ) from exc
                if len(self._cache) > 8:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[index] = np.asarray(rgb, dtype=np.uint8)
            return self._cache[index]

    def close(self) -> None:
        with self._lock:
            self._img.close()
            self._cache.clear()


class PasswordRequiredError(DocumentError):
    """The PDF is encrypted: ask for the password and open again."""


def open_document(path: str | Path, password: str | None = None) -> Document:
    """Open a PDF or image. Raises DocumentError (or PasswordRequiredError) with a clear message."""
    path = Path(path)
    if not path.exists():
        raise DocumentError(f"File not found: {path}")
    if not path.is_file():
        raise DocumentError(f"Not a file: {path}")
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
    import cv2

    return cast(GrayImage, cv2.cvtColor(np.ascontiguousarray(page[..., :3]), cv2.COLOR_RGB2GRAY))
