"""A corpus of awkward input files, generated on the spot, with what each one must give.

``write_corpus(folder)`` writes every case into ``folder`` and returns a list of
:class:`CorpusCase`. Each case says precisely what every surface must do with it:

- ``outcome == "shown"``: ``open_document(path)`` succeeds with ``page_count`` pages, and
  ``render(0)`` (default dpi) returns an RGB array of ``page_size`` (width, height) that has ink
  (pixels darker than 128) on a white background (its top-left pixel is white). The CLI
  ``notelasso-ocr page FILE --json`` exits 0 and prints valid JSON; the window shows page 1.
- ``outcome == "refused"``: ``error`` (a :class:`~inference.errors.DocumentError` subclass) is
  raised by ``open_document`` (``stage == "open"``) or by ``render(0)`` (``stage == "render"``,
  after the document opened with ``page_count`` pages). The CLI exits ``exit_code`` (3) with
  one line on stderr and nothing on stdout; the window shows the error's ``user_message``.

No surface may hang, print MuPDF's own messages, or show a blank or all-black page. Test
data is made here, never downloaded.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw

from inference.documents import PasswordRequiredError
from inference.errors import DocumentError

__all__ = ["CorpusCase", "write_corpus"]

Outcome = Literal["shown", "refused"]


@dataclass(frozen=True, slots=True)
class CorpusCase:
    """One file of the corpus and what opening it must give (see the module docstring)."""

    name: str
    path: Path
    outcome: Outcome
    page_count: int | None = None  # shown, or refused at render: the pages the document opens with
    page_size: tuple[int, int] | None = None  # shown: (width, height) of render(0) at the default dpi
    error: type[DocumentError] | None = None  # refused: the exception class raised
    stage: Literal["open", "render"] | None = None  # refused: where the error is raised
    note: str = ""

    @property
    def exit_code(self) -> int:
        """What ``notelasso-ocr page FILE`` must exit with (0, or the error's exit code)."""
        return 0 if self.error is None else int(self.error.exit_code)

    def __iter__(self) -> Iterator[object]:
        """Unpacks as ``(name, path, outcome)``."""
        return iter((self.name, self.path, self.outcome))


def _text_image(size: tuple[int, int], mode: str = "L", *, ink: object = 0, paper: object = 255) -> Image.Image:
    img = Image.new(mode, size, paper)  # type: ignore[arg-type]
    draw = ImageDraw.Draw(img)
    w, h = size
    for row in range(max(1, min(6, h // 40))):
        draw.rectangle((w // 10, h // 8 + row * 40, w // 10 + min(w // 2, 400), h // 8 + row * 40 + 12), fill=ink)  # type: ignore[arg-type]
    return img


def _garbled_first_page(pdf: bytes) -> bytes:
    """``pdf`` with the bytes of its first content stream scrambled (its length kept)."""
    start = pdf.index(b"stream\n") + len(b"stream\n")
    end = pdf.index(b"endstream", start) - 1
    return pdf[:start] + bytes(b ^ 0x5A for b in pdf[start:end]) + pdf[end:]


def _pdf_bytes(pages: int = 1, password: str | None = None) -> bytes:
    import pymupdf

    doc = pymupdf.open()
    for i in range(pages):
        page = doc.new_page(width=612, height=792)
        page.insert_text((72, 72 + 20 * i), f"Page {i + 1} BP 128/82 HR 72", fontsize=14)
    if password:
        data = doc.tobytes(
            encryption=pymupdf.PDF_ENCRYPT_AES_256,  # type: ignore[attr-defined]
            owner_pw=password + "-owner",
            user_pw=password,
        )
    else:
        data = doc.tobytes()
    doc.close()
    return bytes(data)


def _zero_page_pdf() -> bytes:
    body = b"%PDF-1.4\n"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return body


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height over a few bytes of data: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")
    )


def _docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return buf.getvalue()


def write_corpus(folder: Path, *, include_large: bool = True) -> list[CorpusCase]:
    """Write every awkward input into ``folder`` (created if needed); return the cases in order.

    ``include_large=False`` leaves out the 14000x14000 images and the 12-page 600 dpi TIFF
    (the slow ones, a few seconds each to write and to read).
    """
    folder.mkdir(parents=True, exist_ok=True)
    cases: list[CorpusCase] = []

    def shown(name: str, pages: int, size: tuple[int, int], note: str) -> None:
        cases.append(CorpusCase(name, folder / name, "shown", page_count=pages, page_size=size, note=note))

    def refused(name: str, note: str, *, error: type[DocumentError] = DocumentError, pages: int | None = None) -> None:
        stage: Literal["open", "render"] = "open" if pages is None else "render"
        cases.append(CorpusCase(name, folder / name, "refused", page_count=pages, error=error, stage=stage, note=note))

    # -- refused when opened --------------------------------------------------------------
    (folder / "empty.pdf").write_bytes(b"")
    refused("empty.pdf", "0 bytes")
    rng = np.random.default_rng(14)
    (folder / "random.png").write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    refused("random.png", "random bytes with an image name")
    (folder / "random.pdf").write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    refused("random.pdf", "random bytes with a PDF name")
    (folder / "encrypted.pdf").write_bytes(_pdf_bytes(1, password="s3cret"))
    refused("encrypted.pdf", "AES-256, user password 's3cret': refused until the password is given",
            error=PasswordRequiredError)  # fmt: skip
    (folder / "zero-pages.pdf").write_bytes(_zero_page_pdf())
    refused("zero-pages.pdf", "a valid PDF whose page tree is empty")
    (folder / "bomb.png").write_bytes(_png_header_only(30_000, 30_000))
    refused("bomb.png", "a header claiming 30000x30000 (900 megapixels): over Pillow's and our limit")
    (folder / "docx-renamed.pdf").write_bytes(_docx_bytes())
    refused("docx-renamed.pdf", "a .docx (zip) renamed to .pdf")
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "fifo.png")
        refused("fifo.png", "a named pipe: reading it would block forever")
    (folder / "loop-a.png").symlink_to(folder / "loop-b.png")
    (folder / "loop-b.png").symlink_to(folder / "loop-a.png")
    refused("loop-a.png", "a symbolic link loop")

    whole = _pdf_bytes(1)
    (folder / "truncated.pdf").write_bytes(whole[: whole.index(b"stream") + 16])
    refused("truncated.pdf", "a 1-page PDF cut inside its page's content: MuPDF repairs it but no page draws")
    (folder / "truncated-head.pdf").write_bytes(whole[: len(whole) * 2 // 5])
    refused("truncated-head.pdf", "the first 40% of a 1-page PDF: no page survives")

    # -- refused when the page is rendered -------------------------------------------------
    (folder / "garbled-page.pdf").write_bytes(_garbled_first_page(_pdf_bytes(2)))
    refused("garbled-page.pdf", "a 2-page PDF whose first page's content is scrambled: page 2 still draws",
            pages=2)  # fmt: skip

    # -- shown -----------------------------------------------------------------------------
    (folder / "note.pdf").write_bytes(_pdf_bytes(2))
    shown("note.pdf", 2, (1700, 2200), "a healthy 2-page letter PDF (control), 200 dpi")
    _text_image((600, 400), "CMYK", ink=(0, 0, 0, 255), paper=(0, 0, 0, 0)).save(folder / "cmyk.jpg", quality=90)
    shown("cmyk.jpg", 1, (600, 400), "CMYK JPEG")
    _text_image((600, 400), "CMYK", ink=(0, 0, 0, 255), paper=(0, 0, 0, 0)).save(folder / "cmyk.tiff")
    shown("cmyk.tiff", 1, (600, 400), "CMYK TIFF")
    pal = _text_image((600, 400), "RGB", ink=(20, 20, 120), paper=(255, 255, 255)).quantize(4)
    pal.save(folder / "palette.png", transparency=int(np.asarray(pal)[0, 0]))
    shown("palette.png", 1, (600, 400), "palette PNG whose paper colour is transparent")
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: shown rotated 90 degrees clockwise
    _text_image((600, 400), "RGB", ink=(0, 0, 0), paper=(255, 255, 255)).save(
        folder / "exif-rotated.jpg", exif=exif, quality=90
    )
    shown("exif-rotated.jpg", 1, (400, 600), "EXIF orientation 6: stored 600x400, shown 400x600")
    frames = [_text_image((300, 400), "L") for _ in range(3)]
    frames[0].save(folder / "multipage.tiff", save_all=True, append_images=frames[1:])
    shown("multipage.tiff", 3, (300, 400), "3 greyscale frames")
    gray16 = (np.asarray(_text_image((600, 400), "L"), dtype=np.uint16) * 257).astype(np.uint16)
    Image.fromarray(gray16).save(folder / "gray16.png")
    shown("gray16.png", 1, (600, 400), "16-bit greyscale PNG (once shown all white)")
    rgba = np.zeros((400, 600, 4), np.uint8)  # transparent black paper ...
    rgba[np.asarray(_text_image((600, 400), "L")) == 0] = (0, 0, 0, 255)  # ... with opaque black ink
    Image.fromarray(rgba).save(folder / "rgba-transparent.png")
    shown("rgba-transparent.png", 1, (600, 400), "RGBA PNG, transparent paper (once shown all black)")

    if include_large:
        _text_image((14_000, 14_000), "1", ink=0, paper=1).save(folder / "huge.png", optimize=True)
        shown("huge.png", 1, (4667, 4667), "14000x14000 bilevel PNG (41 KB): reduced by 3 (page_info(0).scale == 1/3)")
        _text_image((14_000, 14_000), "1", ink=0, paper=1).save(folder / "huge.tiff", compression="group4")
        shown("huge.tiff", 1, (4667, 4667), "14000x14000 bilevel G4 TIFF: shown reduced")
        letter = [_text_image((5100, 6600), "1", ink=0, paper=1) for _ in range(12)]
        letter[0].save(folder / "scan-600dpi.tiff", save_all=True, append_images=letter[1:], compression="group4",
                       dpi=(600, 600))  # fmt: skip
        shown("scan-600dpi.tiff", 12, (5100, 6600), "12 letter pages at 600 dpi, G4: under the cap, full size")
    return cases
