"""Searchable PDF options: the page images' resolution and quality change, the text layer does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.core import settings as table
from desktop.core.export import export_session
from desktop.core.export_pdf import PdfOptions
from desktop.core.pdf_preview import preview_pdf_page
from desktop.core.session import ReviewSession
from tests.desktop.core.conftest import rect

TEXT = "Lisinopril 10 mg daily"


def _images(pdf: Path) -> list[tuple[int, int, str, float]]:
    """(width px, height px, format, dpi over the page width) of each page's one image."""
    import pymupdf

    out = []
    with pymupdf.open(str(pdf)) as doc:
        for page in doc:
            for img in page.get_images(full=True):
                info = doc.extract_image(img[0])
                out.append((info["width"], info["height"], info["ext"], info["width"] / (page.rect.width / 72)))
    return out


def _text(pdf: Path) -> str:
    import pymupdf

    with pymupdf.open(str(pdf)) as doc:
        return " ".join(page.get_text().strip() for page in doc)


@pytest.fixture
def reviewed(session: ReviewSession) -> ReviewSession:
    r = session.add_region(0, rect(10, 10, 290, 60))
    session.set_text(r.id, TEXT)
    return session


def test_an_image_document_is_scaled_down_to_the_chosen_dpi_and_never_up(reviewed: ReviewSession, tmp_path: Path):
    # GIVEN a 300x400-pixel scan reviewed at 200 dpi
    assert reviewed.dpi == 200
    # WHEN it is exported with the original resolution, at 150 dpi and at 300 dpi
    original = export_session(reviewed, "pdf", tmp_path / "original.pdf")[0]
    at_150 = export_session(reviewed, "pdf", tmp_path / "150.pdf", pdf_options=PdfOptions(dpi=150))[0]
    at_300 = export_session(reviewed, "pdf", tmp_path / "300.pdf", pdf_options=PdfOptions(dpi=300))[0]
    # THEN the embedded image keeps its pixels, shrinks to 150 dpi, and is not blown up past the scan
    [(width, height, ext, dpi)] = _images(original)
    assert (width, height, ext) == (300, 400, "png") and dpi == pytest.approx(200)
    assert _images(at_150)[0][:2] == (225, 300) and _images(at_150)[0][3] == pytest.approx(150)
    assert _images(at_300)[0][:2] == (300, 400)
    # AND the text layer extracts as reviewed from each
    assert _text(original) == _text(at_150) == _text(at_300) == TEXT


def test_jpeg_quality_encodes_the_page_as_jpeg_and_lossless_as_png(reviewed: ReviewSession, tmp_path: Path):
    lossless = export_session(reviewed, "pdf", tmp_path / "png.pdf", pdf_options=PdfOptions(dpi=150))[0]
    jpeg = export_session(reviewed, "pdf", tmp_path / "jpg.pdf", pdf_options=PdfOptions(dpi=150, jpeg_quality=60))[0]
    assert _images(lossless)[0][2] == "png"
    assert _images(jpeg)[0][2] in ("jpeg", "jpg")
    assert _text(jpeg) == TEXT


def test_a_pdf_page_is_copied_at_original_and_re_rendered_at_a_chosen_dpi(pdf_doc: Path, tmp_path: Path):
    # GIVEN a two-page PDF (letter size, vector drawing) reviewed at 100 dpi
    with ReviewSession.open(pdf_doc, user="clerk1", dpi=100) as session:
        r = session.add_region(1, rect(100, 100, 400, 160))
        session.set_text(r.id, TEXT)
        # WHEN exported as it is, and at 150 and 300 dpi as JPEG
        copied = export_session(session, "pdf", tmp_path / "copied.pdf")[0]
        at_150 = export_session(session, "pdf", tmp_path / "150.pdf", pdf_options=PdfOptions(dpi=150, jpeg_quality=85))[
            0
        ]
        at_300 = export_session(session, "pdf", tmp_path / "300.pdf", pdf_options=PdfOptions(dpi=300))[0]
    # THEN the copy holds no image (its own vector page); the others one image a page at that dpi
    assert _images(copied) == []
    assert [(w, h, round(dpi)) for w, h, _ext, dpi in _images(at_150)] == [(1275, 1650, 150)] * 2
    assert [(w, h, round(dpi)) for w, h, _ext, dpi in _images(at_300)] == [(2550, 3300, 300)] * 2
    assert _images(at_150)[0][2] in ("jpeg", "jpg")
    # AND the page size and the text layer stay where they were
    import pymupdf

    for pdf in (copied, at_150, at_300):
        with pymupdf.open(str(pdf)) as doc:
            assert (doc[1].rect.width, doc[1].rect.height) == (612, 792)
            words = doc[1].get_text("words")
            assert " ".join(w[4] for w in words) == TEXT
            assert words[0][0] == pytest.approx(100 * 72 / 100, abs=2)  # x in points, as drawn at 100 dpi


def test_the_preview_is_the_exported_page_with_its_text_layer(reviewed: ReviewSession):
    from inference.documents import open_document

    with open_document(reviewed.document_path) as document:
        preview = preview_pdf_page(reviewed, document, 0, PdfOptions(dpi=150, jpeg_quality=75), width=600)
    assert preview.image.shape == (800, 600, 3)
    assert " ".join(w[4] for w in preview.words) == TEXT
    x0, y0, x1, y1, _ = preview.words[0]
    assert 0 <= x0 < x1 <= 600 and 0 <= y0 < y1 <= 800 * 60 / 400 + 5  # within the region, scaled x2
    assert preview.embedded_size == (225, 300) and preview.embedded_dpi == pytest.approx(150)
    assert preview.page_bytes > 0


def test_the_options_are_settings_of_the_one_table() -> None:
    dpi, quality = table.setting("export/pdf_dpi"), table.setting("export/pdf_quality")
    assert dpi.choices == (0, 150, 200, 300) and dpi.choice_labels[0] == "original"
    assert quality.choice_labels[0] == "lossless"
    assert PdfOptions.from_settings(table.defaults()) == PdfOptions()
    assert PdfOptions.from_settings({"export/pdf_dpi": 200, "export/pdf_quality": 85}) == PdfOptions(200, 85)
    assert table.coerce("export/pdf_dpi", "123") == 0  # not offered: the default
