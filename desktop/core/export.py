"""Export a review session: txt, csv, json, hOCR, ALTO v4, PAGE XML 2019, searchable PDF.

Every file is written atomically: to a temporary file in the same folder, flushed to disk,
then moved over the target with ``os.replace``; a failure leaves no partial file behind.
Coordinates are page pixels at the session's dpi; page numbers in exported files start at 1.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.core.regions import Region, utc_now
from inference.errors import DocumentError, InputError, NoteLassoError

if TYPE_CHECKING:
    from desktop.core.session import ReviewSession
    from inference.documents import Document

log = logging.getLogger(__name__)

#: fmt -> (label for the save dialog, file extension)
FORMATS: dict[str, tuple[str, str]] = {
    "txt": ("Plain text", ".txt"),
    "csv": ("CSV table", ".csv"),
    "json": ("JSON (text, geometry, confidences, provenance)", ".json"),
    "hocr": ("hOCR (HTML)", ".hocr"),
    "alto": ("ALTO XML v4", ".xml"),
    "page": ("PAGE XML 2019", ".xml"),
    "pdf": ("Searchable PDF", ".pdf"),
}
NEEDS_DOCUMENT = {"hocr", "alto", "page", "pdf"}
GENERATOR = "NoteLasso"


class ExportError(NoteLassoError):
    """The export could not be written (disk full, read-only folder, unknown format)."""

    exit_code = 8


# -- geometry shared by the layout formats --------------------------------------------------
IntBox = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class WordGeom:
    text: str
    box: IntBox
    confidence: float | None  # None when the word's box is estimated (text was corrected)


@dataclass(frozen=True, slots=True)
class LineGeom:
    text: str
    box: IntBox
    words: tuple[WordGeom, ...]


def _int_box(b: Iterable[float]) -> IntBox:
    x0, y0, x1, y1 = (int(round(v)) for v in b)
    return (max(0, x0), max(0, y0), max(x0 + 1, x1), max(y0 + 1, y1))


def _union(boxes: Iterable[IntBox]) -> IntBox:
    bs = list(boxes)
    return (min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs))


def _model_lines(region: Region) -> list[LineGeom] | None:
    """Group the model's words into its lines (the recogniser joins words with ' ' and lines with '\\n')."""
    if not region.words:
        return None
    words = list(region.words)
    lines: list[LineGeom] = []
    pos = 0  # index into model_text / confidences
    wi = 0
    for line in region.model_text.split("\n"):
        geoms = []
        for token in line.split(" "):
            if wi >= len(words) or words[wi][0] != token:
                return None
            confs = region.confidences[pos:pos + len(token)]
            geoms.append(WordGeom(token, _int_box(words[wi][1]), min(confs) if confs else None))
            pos += len(token) + 1
            wi += 1
        lines.append(LineGeom(line, _union(w.box for w in geoms), tuple(geoms)))
    return lines if wi == len(words) else None


def _spread_words(text: str, box: IntBox) -> tuple[WordGeom, ...]:
    """Estimated word boxes: the line's width shared in proportion to word lengths."""
    tokens = text.split()
    if not tokens:
        return ()
    x0, y0, x1, y1 = box
    units = sum(len(t) for t in tokens) + len(tokens) - 1
    step = (x1 - x0) / max(units, 1)
    out, pos = [], 0
    for t in tokens:
        a, b = x0 + pos * step, x0 + (pos + len(t)) * step
        out.append(WordGeom(t, _int_box((a, y0, b, y1)), None))
        pos += len(t) + 1
    return tuple(out)


def _reading_frame(region: Region) -> tuple[Callable[[IntBox], IntBox], Callable[[IntBox], IntBox]]:
    """Box maps page -> upright and upright -> page for a region drawn on a turned page.

    The upright frame is the region's bounding box turned clockwise by ``region.rotation``,
    with its origin at the turned box's top-left corner; lines run along its x axis."""
    x0, y0, x1, y1 = region.bbox
    w, h = x1 - x0, y1 - y0
    turn = region.rotation

    def up_to_page(u: float, v: float) -> tuple[float, float]:
        x, y = {0: (u, v), 90: (v, h - u), 180: (w - u, h - v), 270: (w - v, u)}[turn]
        return x0 + x, y0 + y

    def page_to_up(x: float, y: float) -> tuple[float, float]:
        x, y = x - x0, y - y0
        return {0: (x, y), 90: (h - y, x), 180: (w - x, h - y), 270: (y, w - x)}[turn]

    def mapper(point: Callable[[float, float], tuple[float, float]]) -> Callable[[IntBox], IntBox]:
        def box(b: IntBox) -> IntBox:
            pts = [point(b[0], b[1]), point(b[2], b[3])]
            return _int_box((min(p[0] for p in pts), min(p[1] for p in pts),
                             max(p[0] for p in pts), max(p[1] for p in pts)))
        return box

    return mapper(page_to_up), mapper(up_to_page)


def region_lines(region: Region) -> list[LineGeom]:
    """The final text of a region as lines and words with page-pixel boxes.

    Untouched model text keeps the recogniser's word boxes and confidences; corrected text
    reuses the model's line boxes when the line count matches, else equal strips of the region.
    A region drawn on a turned page is laid out as it reads (lines along the turned axis).
    """
    text_lines = [ln for ln in region.text.split("\n") if ln.strip()]
    if not text_lines:
        return []
    model = _model_lines(region)
    if model is not None and region.text == region.model_text:
        return [ln for ln in model if ln.text.strip()]
    to_upright, to_page = _reading_frame(region)
    if model is not None and len(model) == len(text_lines):
        boxes = [to_upright(ln.box) for ln in model]
    else:
        x0, y0, x1, y1 = to_upright(_int_box(region.bbox))
        h = (y1 - y0) / len(text_lines)
        boxes = [_int_box((x0, y0 + i * h, x1, y0 + (i + 1) * h)) for i in range(len(text_lines))]
    return [LineGeom(t, to_page(b), tuple(WordGeom(w.text, to_page(w.box), w.confidence)
                                          for w in _spread_words(t, b)))
            for t, b in zip(text_lines, boxes, strict=False)]


# -- atomic writes ----------------------------------------------------------------------------
@contextlib.contextmanager
def atomic_path(out_path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``out_path``; on success it replaces ``out_path``."""
    out_path = Path(out_path)
    folder = out_path.parent
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".part", dir=folder)
        os.close(fd)
    except OSError as exc:
        raise ExportError(f"Cannot write to the folder {folder.name or folder} (read-only or missing?).") from exc
    tmp = Path(tmp_name)
    try:
        yield tmp
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def write_atomic(out_path: Path, data: bytes) -> Path:
    with atomic_path(out_path) as tmp:
        tmp.write_bytes(data)
    return Path(out_path)


# -- pages --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PageExport:
    index: int                 # 0-based
    width: int | None          # page pixels at the session's dpi
    height: int | None
    regions: tuple[Region, ...]


def page_size(document: Document, index: int, dpi: int) -> tuple[int, int]:
    info = document.page_info(index)
    if info.width_pt is not None and info.height_pt is not None:
        return int(round(info.width_pt * dpi / 72)), int(round(info.height_pt * dpi / 72))
    h, w = document.render(index, dpi).shape[:2]
    return int(w), int(h)


def collect_pages(session: ReviewSession, pages: Iterable[int] | None,
                  document: Document | None) -> list[PageExport]:
    if pages is None:
        indices = (list(range(document.page_count)) if document is not None
                   else sorted({r.page for r in session.regions()}))
    else:
        indices = sorted({int(p) for p in pages})
        if document is not None and any(not 0 <= p < document.page_count for p in indices):
            raise InputError("A page to export does not exist in the document.")
    out = []
    for i in indices:
        w, h = page_size(document, i, session.dpi) if document is not None else (None, None)
        out.append(PageExport(i, w, h, tuple(session.regions(i))))
    return out


# -- simple formats ------------------------------------------------------------------------------
def to_txt(session: ReviewSession, pages: list[PageExport], document: Document | None) -> bytes:
    """Final texts in reading order, a blank line between regions, a form feed between pages."""
    chunks = ["\n\n".join(r.text for r in p.regions if r.text.strip()) for p in pages]
    return ("\n\f".join(chunks) + "\n").encode("utf-8")


_CSV_FIELDS = ["page", "order", "region_id", "status", "x0", "y0", "x1", "y1", "polygon", "text", "model_text",
               "min_confidence", "confidences", "engine", "model", "updated_by", "updated_at", "error"]


def _csv_safe(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; a leading ' keeps them text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_csv(session: ReviewSession, pages: list[PageExport], document: Document | None) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=_CSV_FIELDS, lineterminator="\r\n")
    w.writeheader()
    for p in pages:
        for order, r in enumerate(p.regions, 1):
            x0, y0, x1, y1 = r.bbox
            w.writerow({"page": p.index + 1, "order": order, "region_id": r.id, "status": r.status.value,
                        "x0": round(x0, 1), "y0": round(y0, 1), "x1": round(x1, 1), "y1": round(y1, 1),
                        "polygon": json.dumps([[round(x, 1), round(y, 1)] for x, y in r.polygon]),
                        "text": _csv_safe(r.text), "model_text": _csv_safe(r.model_text),
                        "min_confidence": round(r.min_confidence, 4) if r.confidences else "",
                        "confidences": json.dumps([round(c, 4) for c in r.confidences]),
                        "engine": r.engine, "model": r.model, "updated_by": r.updated_by,
                        "updated_at": r.updated_at, "error": r.error})
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: spreadsheets then read UTF-8 correctly


def region_json(r: Region, order: int) -> dict[str, Any]:
    return {"id": r.id, "order": order, "status": r.status.value,
            "polygon": [[x, y] for x, y in r.polygon], "bbox": list(r.bbox),
            "text": r.text, "model_text": r.model_text, "confidences": list(r.confidences),
            "words": [{"text": t, "box": list(b)} for t, b in r.words],
            "provenance": {"engine": r.engine, "model": r.model, "updated_by": r.updated_by,
                           "updated_at": r.updated_at},
            "error": r.error}


def to_json(session: ReviewSession, pages: list[PageExport], document: Document | None) -> bytes:
    doc = {"name": session.document_path.name, "sha256": session.doc_hash, "dpi": session.dpi,
           "page_count": document.page_count if document is not None else None}
    body = {"format": "notelasso-review", "version": 1, "generator": GENERATOR, "exported_at": utc_now(),
            "coordinates": "page pixels at document.dpi, origin top-left; pages numbered from 1",
            "document": doc,
            "pages": [{"page": p.index + 1, "width": p.width, "height": p.height,
                       "regions": [region_json(r, i) for i, r in enumerate(p.regions, 1)]} for p in pages]}
    return json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")


# -- entry point ----------------------------------------------------------------------------------
Writer = Callable[["ReviewSession", list[PageExport], "Document | None"], bytes]


def _writers() -> dict[str, Writer]:
    from desktop.core import export_xml

    return {"txt": to_txt, "csv": to_csv, "json": to_json, "hocr": export_xml.to_hocr,
            "alto": export_xml.to_alto}


def export_session(session: ReviewSession, fmt: str, out_path: Path, *, pages: Iterable[int] | None = None,
                   document: Document | None = None) -> list[Path]:
    """Write the session as ``fmt`` to ``out_path``; ``pages`` (0-based) limits it, None = whole document.

    ``document`` is the already open document (else it is opened from the session's path).
    Returns the files written: one, except PAGE XML for several pages (one file per page:
    ``<stem>-p0001.xml`` ...), as PAGE holds one page per file.
    """
    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    out_path = Path(out_path)
    t0 = time.perf_counter()
    own_doc = None
    if document is None:
        from inference.documents import open_document

        try:
            own_doc = document = open_document(session.document_path)
        except DocumentError:
            if fmt in NEEDS_DOCUMENT:
                raise
            document = None
    try:
        selected = collect_pages(session, pages, document)
        if fmt == "pdf":
            from desktop.core.export_pdf import write_pdf

            assert document is not None
            written = [write_pdf(session, selected, document, out_path)]
        elif fmt == "page":
            from desktop.core.export_xml import to_page_xml

            if len(selected) == 1:
                written = [write_atomic(out_path, to_page_xml(session, selected[0]))]
            else:
                written = [write_atomic(out_path.with_name(f"{out_path.stem}-p{p.index + 1:04d}{out_path.suffix}"),
                                        to_page_xml(session, p)) for p in selected]
        else:
            written = [write_atomic(out_path, _writers()[fmt](session, selected, document))]
    except OSError as exc:
        raise ExportError(f"The export could not be written to {out_path.name} (disk full or read-only?).") from exc
    finally:
        if own_doc is not None:
            own_doc.close()
    log.info("exported %s: %d page(s), %d region(s), %d file(s) in %.0f ms", fmt, len(selected),
             sum(len(p.regions) for p in selected), len(written), (time.perf_counter() - t0) * 1e3)
    return written


__all__ = ["FORMATS", "ExportError", "LineGeom", "PageExport", "WordGeom", "atomic_path", "export_session",
           "region_lines", "write_atomic"]
