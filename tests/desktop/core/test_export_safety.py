"""Exports stay valid whatever the text holds, and a writer never reports an invalid file as written."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from desktop.core import export as export_module
from desktop.core.export import ExportError, export_session
from desktop.core.export_base import encodable_text, xml_text
from desktop.core.session import ReviewSession
from tests.desktop.core.conftest import rect

ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"
PAGE = "{http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15}"
XHTML = "{http://www.w3.org/1999/xhtml}"

PASTED = "BP\x0b128/82 \x0cHR\x1b76 dose\x00 ok\ufffe"  # controls a paste from elsewhere brings along
XML_FORMATS = ("hocr", "alto", "page")


def _holding(session: ReviewSession, text: str, monkeypatch: pytest.MonkeyPatch) -> ReviewSession:
    """``session`` with one region whose final text is ``text``, stored or not (a lone surrogate is not)."""
    r = session.add_region(0, rect(10, 10, 280, 60))
    session.set_text(r.id, "placeholder")
    stored = [x.with_changes(text=text) for x in session.regions()]
    monkeypatch.setattr(session, "regions", lambda page=None: [x for x in stored if page in (None, x.page)])
    return session


def test_xml_text_replaces_what_xml_cannot_hold() -> None:
    assert (
        xml_text("a\x00b\x0bc\x0cd\x1be\ufffef\uffff\tg\nh\ri") == "a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf\ufffd\tg\nh\ri"
    )
    assert xml_text("mg\ud800/dl") == "mg\ufffd/dl"
    assert xml_text("µg ≥ 5 مرحبا 高血压 😀") == "µg ≥ 5 مرحبا 高血压 😀"
    assert encodable_text("\ud83d\ude00 \udc00") == "😀 \ufffd"  # a pair joins, a lone half is replaced


@pytest.mark.parametrize("fmt", XML_FORMATS)
def test_control_characters_give_xml_that_parses(
    session: ReviewSession, tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a correction pasted with control characters in it
    _holding(session, PASTED, monkeypatch)
    # WHEN it is exported as layout XML
    [out] = export_session(session, fmt, tmp_path / f"note.{fmt}.xml")
    # THEN the file parses, and each character XML cannot carry is U+FFFD, in text and attributes
    root = ET.parse(out).getroot()
    if fmt == "hocr":
        words = [w.text for w in root.iter(f"{XHTML}span") if w.get("class") == "ocrx_word"]
    elif fmt == "alto":
        words = [w.get("CONTENT") for w in root.iter(f"{ALTO}String")]  # an attribute
    else:
        *words, _line, region = [u.text for u in root.iter(f"{PAGE}Unicode")]
        assert region == "BP\ufffd128/82 \ufffdHR\ufffd76 dose\ufffd ok\ufffd"
    assert words == ["BP", "128/82", "HR\ufffd76", "dose\ufffd", "ok\ufffd"]  # VT and FF also part words


@pytest.mark.parametrize("fmt", ["txt", "csv", "json", "hocr", "alto", "page", "pdf"])
def test_a_lone_surrogate_is_exported_as_replacement_character(
    session: ReviewSession, tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _holding(session, "Na\ud800 140 \U0001f600", monkeypatch)
    [out] = export_session(session, fmt, tmp_path / f"note.{fmt}")
    if fmt == "pdf":
        import pymupdf

        with pymupdf.open(str(out)) as doc:
            assert doc[0].get_text().split() == ["Na\ufffd", "140", "\U0001f600"]
        return
    text = out.read_bytes().decode("utf-8")
    assert "Na\ufffd" in text
    if fmt == "json":
        assert json.loads(text)["pages"][0]["regions"][0]["text"] == "Na\ufffd 140 \U0001f600"
    elif fmt == "csv":
        [row] = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
        assert row["text"] == "Na\ufffd 140 \U0001f600"
    elif fmt in XML_FORMATS:
        ET.fromstring(out.read_bytes())


@pytest.mark.parametrize("fmt", ["txt", "csv", "json", "hocr", "alto", "page"])
def test_an_invalid_file_is_never_reported_as_written(
    session: ReviewSession, tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an earlier export, and a writer that (by some future bug) produces a broken file
    _holding(session, "Lisinopril 10 mg", monkeypatch)
    broken = {"txt": b"\xff\xfe\xfa", "csv": b"a,b\r\n1\r\n", "json": b'{"pages": [', "page": b"<PcGts><Page>"}
    data = broken.get(fmt, b"<alto>\x0b</alto>")
    if fmt == "page":
        monkeypatch.setattr(export_module, "to_page_xml", lambda session, p: data)
    else:
        monkeypatch.setitem(export_module.WRITERS, fmt, lambda session, pages, document: data)
    target = tmp_path / f"note.{fmt}"
    target.write_text("previous export")
    # WHEN it is exported THEN the export fails, the earlier file stays and nothing else is left
    with pytest.raises(ExportError, match="invalid"):
        export_session(session, fmt, target)
    assert target.read_text() == "previous export"
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == [target.name]


def test_an_invalid_pdf_is_never_reported_as_written(
    session: ReviewSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pymupdf

    _holding(session, "Lisinopril 10 mg", monkeypatch)

    def truncated_save(self: pymupdf.Document, path: str, **kwargs: object) -> None:
        Path(path).write_bytes(b"%PDF-1.7\n1 0 obj")

    monkeypatch.setattr(pymupdf.Document, "save", truncated_save)
    with pytest.raises(ExportError, match="invalid"):
        export_session(session, "pdf", tmp_path / "note.pdf")
    assert not [p for p in tmp_path.iterdir() if p.is_file()]
