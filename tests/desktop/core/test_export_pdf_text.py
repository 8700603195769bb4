"""The searchable PDF's text layer reads back as the reviewed text in every script, in time linear in words."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from desktop.core import pdf_text
from desktop.core.export import export_session
from desktop.core.export_base import is_rtl
from desktop.core.pdf_text import visual_order
from desktop.core.session import ReviewSession
from tests.desktop.core.conftest import rect

SCRIPTS = {
    "latin": "Lisinopril 10 mg daily, eGFR ≥ 60 µg",
    "arabic": "مرحبا بالعالم الجرعة يوميا",
    "hebrew": "שלום עולם",
    "cjk": "高血压 糖尿病 2型",
    "emoji": "ok 😀 fine 🩺",
}


def _extracted(session: ReviewSession, text: str, out: Path) -> str:
    import pymupdf

    r = session.add_region(0, rect(10, 10, 290, 60))
    session.set_text(r.id, text)
    [pdf] = export_session(session, "pdf", out)
    with pymupdf.open(str(pdf)) as doc:
        return doc[0].get_text().strip()


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_text_layer_reads_back_as_the_reviewed_text(session: ReviewSession, tmp_path: Path, script: str) -> None:
    # GIVEN a reviewed line in one script WHEN it is exported as a searchable PDF
    # THEN PyMuPDF extracts it as typed: letters in logical order, no character lost or changed
    assert _extracted(session, SCRIPTS[script], tmp_path / "note.pdf") == SCRIPTS[script]


def test_cjk_without_an_installed_cjk_font_uses_the_built_in_one(
    session: ReviewSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf_text, "CJK_FONT_FILES", ())
    assert _extracted(session, "高血压 糖尿病", tmp_path / "note.pdf") == "高血压 糖尿病"


def test_a_character_no_font_has_still_reads_back(
    session: ReviewSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN no font at all for a character (a private-use code point)
    assert _extracted(session, "code \ue000 seen", tmp_path / "note.pdf") == "code \ue000 seen"


def test_visual_order_keeps_numbers_left_to_right() -> None:
    assert visual_order("مرحبا") == "ابحرم"
    assert visual_order("ملغ500") == "500غلم"
    assert visual_order("Lisinopril") == "Lisinopril"
    assert is_rtl("مرحبا 10") and not is_rtl("10 mg مرحبا") and not is_rtl("2024")


def _count_page_writes(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts of the calls whose cost grows with what the page already holds."""
    import pymupdf

    calls: Counter[str] = Counter()
    for cls, name in (
        (pymupdf.Page, "wrap_contents"),
        (pymupdf.Page, "insert_text"),
        (pymupdf.Page, "insert_font"),
        (pymupdf.Page, "get_contents"),
        (pymupdf.Document, "update_stream"),
    ):
        original = getattr(cls, name)

        def counted(*args: object, _original=original, _name=name, **kwargs: object) -> object:
            calls[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(cls, name, counted)
    return calls


def test_page_content_is_written_once_however_many_words(
    image_doc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The quadratic step was one content stream per word, each re-reading the page's streams.
    calls = _count_page_writes(monkeypatch)
    counts = []
    for n in (50, 1000):
        s = ReviewSession.open(image_doc)
        for r in s.regions():
            s.remove_region(r.id)
        r = s.add_region(0, rect(5, 5, 295, 395))
        words = [f"w{i} 高{i % 7}" for i in range(n // 2)]
        s.set_text(r.id, "\n".join(" ".join(words[i : i + 10]) for i in range(0, len(words), 10)))
        calls.clear()
        export_session(s, "pdf", tmp_path / f"{n}.pdf")
        counts.append(dict(calls))
        s.close()
    assert counts[0] == counts[1], counts  # the same calls for 50 words as for 1,000
    assert "insert_text" not in counts[1]
    assert counts[1]["update_stream"] <= 4
