"""Opening PDFs and images: good files render, bad files fail with a clear DocumentError."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inference.documents import PasswordRequiredError, open_document
from inference.errors import DocumentError


def write_png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG whose header claims width x height (no real pixels): a decompression-bomb shape."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")
    )


def make_pdf(path: Path, pages: int = 2, password: str | None = None) -> None:
    import pymupdf

    doc = pymupdf.open()
    for i in range(pages):
        page = doc.new_page(width=612, height=792)
        page.insert_text((72, 72 + 20 * i), f"Page {i + 1} BP 128/82", fontsize=14)
    if password:
        doc.save(
            str(path),
            encryption=pymupdf.PDF_ENCRYPT_AES_256,  # type: ignore[attr-defined]
            owner_pw=password + "-owner",
            user_pw=password,
        )
    else:
        doc.save(str(path))
    doc.close()


def test_pdf_renders_at_the_requested_dpi(tmp_path) -> None:
    make_pdf(tmp_path / "note.pdf")
    with open_document(tmp_path / "note.pdf") as doc:
        assert doc.page_count == 2
        page = doc.render(1, dpi=100)
        assert page.shape[:2] == (1100, 850)  # 11 x 8.5 inches at 100 dpi
        assert page.min() < 100  # the text is there
        with pytest.raises(DocumentError):
            doc.render(2)


def test_encrypted_pdf_asks_for_the_password(tmp_path) -> None:
    make_pdf(tmp_path / "locked.pdf", password="s3cret")
    with pytest.raises(PasswordRequiredError):
        open_document(tmp_path / "locked.pdf")
    with pytest.raises(PasswordRequiredError, match=r"[Pp]assword"):
        open_document(tmp_path / "locked.pdf", password="wrong")
    with open_document(tmp_path / "locked.pdf", password="s3cret") as doc:
        assert doc.render(0, dpi=50).shape[0] == 550


def test_multipage_tiff_and_jpeg(tmp_path) -> None:
    frames = [Image.fromarray(np.full((40, 60), v, np.uint8)) for v in (10, 200)]
    frames[0].save(tmp_path / "scan.tif", save_all=True, append_images=frames[1:])
    with open_document(tmp_path / "scan.tif") as doc:
        assert doc.page_count == 2
        assert doc.render(1).shape[:2] == (40, 60) and doc.render(1).mean() > 150
    Image.fromarray(np.full((30, 50, 3), 128, np.uint8)).save(tmp_path / "photo.jpg")
    with open_document(tmp_path / "photo.jpg") as doc:
        assert doc.render(0).shape == (30, 50, 3)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "not found"),
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 50), "not a readable image"),
        (lambda p: write_png_header_only(p, 30000, 30000), "too large"),
    ],
)
def test_bad_images_fail_clearly(tmp_path, make, message) -> None:
    path = tmp_path / "bad.png"
    make(path)
    with pytest.raises(DocumentError, match=message), open_document(path) as doc:
        doc.render(0)


def test_corrupt_pdf_fails_clearly(tmp_path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"\x00\xff" * 100)
    with pytest.raises(DocumentError, match=r"broken\.pdf"), open_document(path) as doc:
        doc.render(0)
