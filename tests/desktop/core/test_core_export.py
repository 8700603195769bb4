"""Every export format, parsed back; atomic writes; the searchable PDF's invisible text layer."""

from __future__ import annotations

import csv
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.core.export import FORMATS, ExportError, export_session, region_lines
from desktop.core.regions import RegionStatus
from desktop.core.session import ReviewSession
from tests.desktop.core.conftest import make_result, rect

ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"
PAGE = "{http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def child(e: ET.Element, path: str) -> ET.Element:
    """The first element at ``path`` under ``e``; fails the test if there is none."""
    found = e.find(path)
    assert found is not None, f"no {path} under {e.tag}"
    return found


def attr(e: ET.Element, name: str) -> str:
    """Attribute ``name`` of ``e``; fails the test if it is missing."""
    value = e.get(name)
    assert value is not None, f"no {name} on {e.tag}"
    return value


@pytest.fixture
def reviewed(sample_png: Path, sample_truth: dict) -> Iterator[ReviewSession]:
    """The sample note with two lassoed lines: one read correctly, one corrected by a person."""
    s = ReviewSession.open(sample_png, user="clerk1")
    by_text = {ln["text"]: ln for ln in sample_truth["lines"]}
    for text, corrected in (
        ("BP 128/82   HR 76   Temp 98.4 F   SpO2 97%", None),
        ("Metformin 500 mg PO BID", "Metformin 500 mg PO BID (hold if eGFR<30)"),
    ):
        line = by_text[text]
        x0, y0, x1, y1 = line["box"]
        r = s.add_region(0, line["polygon"])
        tokens = text.split()
        step = (x1 - x0) / len(tokens)
        words = [(t, (int(x0 + i * step), y0, int(x0 + (i + 1) * step) - 8, y1)) for i, t in enumerate(tokens)]
        s.apply_recognition(r.id, make_result([words], conf=0.8), engine="onnxruntime", model="parseq-test 0")
        if corrected:
            s.set_text(r.id, corrected)
    yield s
    s.close()


def test_formats_table() -> None:
    assert set(FORMATS) == {"txt", "csv", "json", "hocr", "alto", "page", "pdf"}
    assert all(ext.startswith(".") and label for label, ext in FORMATS.values())


def test_txt(reviewed: ReviewSession, tmp_path: Path) -> None:
    [out] = export_session(reviewed, "txt", tmp_path / "note.txt")
    text = out.read_text(encoding="utf-8")
    assert text == "BP 128/82 HR 76 Temp 98.4 F SpO2 97%\n\nMetformin 500 mg PO BID (hold if eGFR<30)\n"


def test_csv(reviewed: ReviewSession, tmp_path: Path) -> None:
    reviewed.set_text(reviewed.regions()[0].id, "=HYPERLINK(1)")
    [out] = export_session(reviewed, "csv", tmp_path / "note.csv")
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert [r["page"] for r in rows] == ["1", "1"]
    assert rows[0]["text"] == "'=HYPERLINK(1)"  # spreadsheet formulas neutralised
    assert rows[1]["text"] == "Metformin 500 mg PO BID (hold if eGFR<30)"
    assert rows[1]["model_text"] == "Metformin 500 mg PO BID" and rows[1]["status"] == "corrected"
    assert float(rows[1]["min_confidence"]) == pytest.approx(0.8)
    assert len(json.loads(rows[1]["polygon"])) == 4 and rows[1]["updated_by"] == "clerk1"


def test_json(reviewed: ReviewSession, tmp_path: Path) -> None:
    [out] = export_session(reviewed, "json", tmp_path / "note.json")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["document"]["sha256"] == reviewed.doc_hash and data["document"]["dpi"] == 200
    [page] = data["pages"]
    assert (page["page"], page["width"], page["height"]) == (1, 1700, 2200)
    first, second = page["regions"]
    assert first["status"] == "read" and first["text"] == first["model_text"]
    assert len(first["confidences"]) == len(first["model_text"])
    assert second["status"] == "corrected" and second["model_text"] == "Metformin 500 mg PO BID"
    assert second["provenance"] == {
        "engine": "onnxruntime",
        "model": "parseq-test 0",
        "updated_by": "clerk1",
        "updated_at": reviewed.regions()[1].updated_at,
    }
    assert len(first["words"]) == 9 and len(first["polygon"]) == 4


def test_hocr(reviewed: ReviewSession, tmp_path: Path) -> None:
    [out] = export_session(reviewed, "hocr", tmp_path / "note.hocr")
    root = ET.parse(out).getroot()
    pages = [e for e in root.iter(f"{XHTML}div") if e.get("class") == "ocr_page"]
    assert len(pages) == 1 and "bbox 0 0 1700 2200" in attr(pages[0], "title")
    words = [e for e in root.iter(f"{XHTML}span") if e.get("class") == "ocrx_word"]
    texts = [w.text for w in words]
    assert texts[:9] == "BP 128/82 HR 76 Temp 98.4 F SpO2 97%".split()
    assert "x_wconf 80" in attr(words[0], "title")
    assert texts[9:] == "Metformin 500 mg PO BID (hold if eGFR<30)".split()
    assert "x_wconf" not in attr(words[-1], "title")  # estimated box for corrected text


def test_alto(reviewed: ReviewSession, tmp_path: Path) -> None:
    [out] = export_session(reviewed, "alto", tmp_path / "note.xml")
    root = ET.parse(out).getroot()
    assert root.tag == f"{ALTO}alto"
    assert child(root, f"{ALTO}Description/{ALTO}MeasurementUnit").text == "pixel"
    page = child(root, f"{ALTO}Layout/{ALTO}Page")
    assert (page.get("WIDTH"), page.get("HEIGHT"), page.get("PHYSICAL_IMG_NR")) == ("1700", "2200", "1")
    blocks = page.findall(f".//{ALTO}TextBlock")
    assert len(blocks) == 2
    strings = blocks[0].findall(f".//{ALTO}String")
    assert " ".join(attr(s, "CONTENT") for s in strings) == "BP 128/82 HR 76 Temp 98.4 F SpO2 97%"
    assert float(attr(strings[0], "WC")) == pytest.approx(0.8)
    assert all(int(attr(s, "WIDTH")) > 0 and int(attr(s, "HPOS")) >= 0 for s in strings)
    assert len(blocks[0].findall(f".//{ALTO}SP")) == 8


def test_page_xml(reviewed: ReviewSession, tmp_path: Path) -> None:
    [out] = export_session(reviewed, "page", tmp_path / "note.xml")
    root = ET.parse(out).getroot()
    page = child(root, f"{PAGE}Page")
    assert (page.get("imageWidth"), page.get("imageHeight")) == ("1700", "2200")
    regions = page.findall(f"{PAGE}TextRegion")
    refs = [e.get("regionRef") for e in page.iter(f"{PAGE}RegionRefIndexed")]
    assert refs == [r.get("id") for r in regions]
    assert child(regions[1], f"{PAGE}TextEquiv/{PAGE}Unicode").text == "Metformin 500 mg PO BID (hold if eGFR<30)"
    assert len(attr(child(regions[0], f"{PAGE}Coords"), "points").split()) == 4
    word = child(regions[0], f"{PAGE}TextLine/{PAGE}Word")
    assert child(word, f"{PAGE}TextEquiv/{PAGE}Unicode").text == "BP"
    assert float(attr(child(word, f"{PAGE}TextEquiv"), "conf")) == pytest.approx(0.8)


def test_page_xml_writes_one_file_per_page(pdf_doc: Path, tmp_path: Path) -> None:
    s = ReviewSession.open(pdf_doc)
    s.add_region(1, rect(10, 10, 100, 40))
    out = export_session(s, "page", tmp_path / "doc.xml")
    assert [p.name for p in out] == ["doc-p0001.xml", "doc-p0002.xml"]
    assert len(ET.parse(out[1]).getroot().findall(f".//{PAGE}TextRegion")) == 1
    s.close()


def _pdf_words(path: Path) -> list[list[str]]:
    import pymupdf

    with pymupdf.open(str(path)) as doc:
        return [[w[4] for w in page.get_text("words")] for page in doc]


def test_searchable_pdf_from_an_image(reviewed: ReviewSession, tmp_path: Path, sample_truth: dict) -> None:
    import pymupdf

    [out] = export_session(reviewed, "pdf", tmp_path / "note.pdf")
    with pymupdf.open(str(out)) as doc:
        assert doc.page_count == 1
        page = doc[0]
        assert page.rect.width == pytest.approx(612) and page.rect.height == pytest.approx(792)
        assert len(page.get_images()) == 1
        words = page.get_text("words")
        # the invisible words sit where the line is on the page (points = pixels * 72 / 200)
        line = next(ln for ln in sample_truth["lines"] if ln["text"].startswith("BP 128/82"))
        bp = next(w for w in words if w[4] == "BP")
        x0, y0, x1, y1 = (v * 72 / 200 for v in line["box"])
        assert x0 - 2 <= bp[0] <= x1 and y0 - 4 <= bp[1] <= y1
        # render mode 3: the text is there but nothing is painted
        spans = [s for b in page.get_text("rawdict")["blocks"] for ln in b.get("lines", []) for s in ln["spans"]]
        assert spans and all(s.get("alpha", 255) == 0 or s["flags"] >= 0 for s in spans)
    assert " ".join(_pdf_words(out)[0]) == (
        "BP 128/82 HR 76 Temp 98.4 F SpO2 97% Metformin 500 mg PO BID (hold if eGFR<30)"
    )


def test_searchable_pdf_text_is_invisible(reviewed: ReviewSession, tmp_path: Path) -> None:
    import pymupdf

    [out] = export_session(reviewed, "pdf", tmp_path / "note.pdf")
    with pymupdf.open(str(out)) as doc:
        contents = b"".join(doc.xref_stream(x) or b"" for x in doc[0].get_contents())
    assert b"3 Tr" in contents  # text render mode 3: neither fill nor stroke


def test_searchable_pdf_keeps_original_pdf_pages(pdf_doc: Path, tmp_path: Path) -> None:
    s = ReviewSession.open(pdf_doc)
    r = s.add_region(1, rect(200, 200, 600, 260))
    s.set_text(r.id, "Lisinopril 10 mg daily")
    out_all = export_session(s, "pdf", tmp_path / "all.pdf")[0]
    out_one = export_session(s, "pdf", tmp_path / "one.pdf", pages=[1])[0]
    assert _pdf_words(out_all) == [[], ["Lisinopril", "10", "mg", "daily"]]
    assert _pdf_words(out_one) == [["Lisinopril", "10", "mg", "daily"]]
    s.close()


def test_non_latin_text_survives_in_the_pdf(session: ReviewSession, tmp_path: Path) -> None:
    r = session.add_region(0, rect(10, 10, 280, 60))
    session.set_text(r.id, "eGFR ≥ 60 → ok µg")
    [out] = export_session(session, "pdf", tmp_path / "u.pdf")
    assert _pdf_words(out)[0] == ["eGFR", "≥", "60", "→", "ok", "µg"]


def test_region_lines_group_model_words() -> None:
    from desktop.core.regions import Region

    result = make_result([[("Type", (0, 0, 40, 20)), ("2", (50, 0, 60, 20))], [("stable.", (0, 30, 70, 50))]])
    r = Region(
        "r",
        0,
        tuple(rect(0, 0, 100, 60)),
        RegionStatus.READ,
        result.text,
        result.text,
        result.confidences,
        tuple((w.text, w.box) for w in result.words),
    )
    lines = region_lines(r)
    assert [ln.text for ln in lines] == ["Type 2", "stable."]
    assert lines[0].box == (0, 0, 60, 20) and lines[1].words[0].box == (0, 30, 70, 50)
    corrected = r.with_changes(text="Type 2\nstable!")
    assert [ln.box for ln in region_lines(corrected)] == [(0, 0, 60, 20), (0, 30, 70, 50)]
    assert region_lines(r.with_changes(text="one line only"))[0].box == (0, 0, 100, 60)


def test_atomic_write_leaves_no_partial_file(
    reviewed: ReviewSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an existing export and a writer that fails half way
    target = tmp_path / "note.json"
    target.write_text("previous export")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    # WHEN the export fails
    with pytest.raises(ExportError):
        export_session(reviewed, "json", target)
    # THEN the old file is untouched and no temporary file is left behind
    assert target.read_text() == "previous export"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["note.json"]


def test_failed_pdf_export_leaves_nothing(
    reviewed: ReviewSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pymupdf

    def broken_save(self, *a, **k):
        Path(a[0]).write_bytes(b"%PDF-1.7 partial")
        raise RuntimeError("disk error")

    monkeypatch.setattr(pymupdf.Document, "save", broken_save)
    with pytest.raises(RuntimeError):
        export_session(reviewed, "pdf", tmp_path / "out" / ".." / "note.pdf")
    assert not any(p.suffix in (".pdf", ".part") for p in tmp_path.iterdir())


def test_unknown_format_and_missing_folder(reviewed: ReviewSession, tmp_path: Path) -> None:
    with pytest.raises(ExportError):
        export_session(reviewed, "docx", tmp_path / "x.docx")
    with pytest.raises(ExportError):
        export_session(reviewed, "txt", tmp_path / "no-such-folder" / "x.txt")


def test_one_page_of_many(pdf_doc: Path, tmp_path: Path) -> None:
    s = ReviewSession.open(pdf_doc)
    a = s.add_region(0, rect(10, 10, 100, 40))
    b = s.add_region(1, rect(10, 10, 100, 40))
    s.set_text(a.id, "first")
    s.set_text(b.id, "second")
    assert export_session(s, "txt", tmp_path / "all.txt")[0].read_text() == "first\n\fsecond\n"
    assert export_session(s, "txt", tmp_path / "p2.txt", pages=[1])[0].read_text() == "second\n"
    alto = ET.parse(export_session(s, "alto", tmp_path / "p.xml")[0]).getroot()
    assert [p.get("PHYSICAL_IMG_NR") for p in alto.iter(f"{ALTO}Page")] == ["1", "2"]
    s.close()


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_searchable_pdf_on_rotated_pages(tmp_path: Path, rotation: int) -> None:
    import pymupdf

    # GIVEN a PDF page shown rotated (/Rotate), lassoed in displayed page pixels
    src = tmp_path / "rotated.pdf"
    with pymupdf.open() as doc:
        doc.new_page(width=612, height=792).set_rotation(rotation)
        doc.save(str(src))
    s = ReviewSession.open(src)
    r = s.add_region(0, rect(200, 100, 800, 160))
    s.set_text(r.id, "Hello there")
    [out] = export_session(s, "pdf", tmp_path / "out.pdf")
    s.close()
    # THEN the words read in order and lie inside the region, seen as displayed
    with pymupdf.open(str(out)) as doc:
        page = doc[0]
        words = [(pymupdf.Rect(w[:4]) * page.rotation_matrix, w[4]) for w in page.get_text("words")]
    assert [t for _, t in words] == ["Hello", "there"]
    region = pymupdf.Rect(200, 100, 800, 160) * (72 / 200)
    assert all(region.x0 - 3 <= b.x0 and b.x1 <= region.x1 + 3 for b, _ in words)


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_corrected_text_on_a_turned_region_runs_along_the_turned_line(
    session: ReviewSession, tmp_path: Path, turn: int
) -> None:
    import pymupdf

    from desktop.core.history import AddRegion

    # GIVEN a region drawn on a page turned by ``turn`` (a line running up the page for 90)
    box = rect(120, 20, 150, 380) if turn in (90, 270) else rect(10, 180, 290, 210)
    op = AddRegion.new(0, box, rotation=turn)
    session.do(op)
    session.set_text(op.region_id, "Lisinopril 10 mg daily")
    # THEN its words are laid out along the line as it reads ...
    region = session.get(op.region_id)
    assert region is not None
    [line] = region_lines(region)
    centres = [((w.box[0] + w.box[2]) / 2, (w.box[1] + w.box[3]) / 2) for w in line.words]
    key = {0: lambda c: c[0], 90: lambda c: -c[1], 180: lambda c: -c[0], 270: lambda c: c[1]}[turn]
    assert [key(c) for c in centres] == sorted(key(c) for c in centres)
    # ... and the searchable PDF holds them in order, inside the region, along the same axis
    [out] = export_session(session, "pdf", tmp_path / "turned.pdf")
    with pymupdf.open(str(out)) as doc:
        words = doc[0].get_text("words")
    assert [w[4] for w in words] == ["Lisinopril", "10", "mg", "daily"]
    region = session.get(op.region_id)
    assert region is not None
    x0, y0, x1, y1 = (v * 72 / 200 for v in region.bbox)
    for w in words:
        assert x0 - 3 <= w[0] < w[2] <= x1 + 3 and y0 - 3 <= w[1] < w[3] <= y1 + 3, (w, (x0, y0, x1, y1))
        tall = (w[3] - w[1]) > (w[2] - w[0])
        assert tall == (turn in (90, 270)) or w[4] in ("10", "mg"), w
