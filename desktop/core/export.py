"""Export a review session: txt, csv, json, hOCR, ALTO v4, PAGE XML 2019, searchable PDF.

Every file is written atomically: to a temporary file in the same folder, flushed to disk,
then moved over the target with ``os.replace``; a failure leaves no partial file behind.
Coordinates are page pixels at the session's dpi; page numbers in exported files start at 1.

Every export is valid whatever the text holds: characters a format cannot carry become U+FFFD
(:func:`desktop.core.export_base.xml_text`), and each file is read back (parsed, decoded) before it
replaces the target, so a broken file is an :class:`ExportError`, never a reported success.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.core.export_base import (
    GENERATOR,
    Check,
    ExportError,
    LineGeom,
    PageExport,
    WordGeom,
    atomic_path,
    check_csv,
    check_json,
    check_utf8,
    check_xml,
    encodable_text,
    region_lines,
    sign_off_metadata,
    write_atomic,
)
from desktop.core.export_pdf import PdfOptions, write_pdf
from desktop.core.export_xml import to_alto, to_hocr, to_page_xml
from desktop.core.regions import Region, utc_now
from desktop.core.review import is_unreadable
from inference.errors import DocumentError, InputError

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


# -- pages --------------------------------------------------------------------------------------
def page_size(document: Document, index: int, dpi: int) -> tuple[int, int]:
    """(width, height) in page pixels, the frame region coordinates are in (capped like the render)."""
    return document.page_size(index, dpi)


def collect_pages(
    session: ReviewSession, pages: Iterable[int] | None, document: Document | None, unreadable_below: float = 0.0
) -> list[PageExport]:
    """The pages to export with their regions in reading order; a region unreadable by
    ``unreadable_below`` (:func:`desktop.core.review.is_unreadable`) goes out with empty text and no words."""
    if pages is None:
        indices = (
            list(range(document.page_count)) if document is not None else sorted({r.page for r in session.regions()})
        )
    else:
        indices = sorted({int(p) for p in pages})
        if document is not None and any(not 0 <= p < document.page_count for p in indices):
            raise InputError("A page to export does not exist in the document.")
    out = []
    for i in indices:
        w, h = page_size(document, i, session.dpi) if document is not None else (None, None)
        regions = tuple(
            r.with_changes(text="", words=()) if is_unreadable(r, unreadable_below) else r for r in session.regions(i)
        )
        out.append(PageExport(i, w, h, regions))
    return out


# -- simple formats ------------------------------------------------------------------------------
def to_txt(session: ReviewSession, pages: list[PageExport], document: Document | None) -> bytes:
    """Final texts in reading order, a blank line between regions, a form feed between pages."""
    chunks = ["\n\n".join(r.text for r in p.regions if r.text.strip()) for p in pages]
    return encodable_text("\n\f".join(chunks) + "\n").encode("utf-8")


_CSV_FIELDS = [
    "page",
    "order",
    "region_id",
    "status",
    "x0",
    "y0",
    "x1",
    "y1",
    "polygon",
    "text",
    "model_text",
    "min_confidence",
    "confidences",
    "engine",
    "model",
    "updated_by",
    "updated_at",
    "error",
]


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
            w.writerow(
                {
                    "page": p.index + 1,
                    "order": order,
                    "region_id": r.id,
                    "status": r.status.value,
                    "x0": round(x0, 1),
                    "y0": round(y0, 1),
                    "x1": round(x1, 1),
                    "y1": round(y1, 1),
                    "polygon": json.dumps([[round(x, 1), round(y, 1)] for x, y in r.polygon]),
                    "text": _csv_safe(r.text),
                    "model_text": _csv_safe(r.model_text),
                    "min_confidence": round(r.min_confidence, 4) if r.confidences else "",
                    "confidences": json.dumps([round(c, 4) for c in r.confidences]),
                    "engine": r.engine,
                    "model": r.model,
                    "updated_by": r.updated_by,
                    "updated_at": r.updated_at,
                    "error": r.error,
                }
            )
    return encodable_text("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: spreadsheets then read UTF-8 correctly


def _final_words(r: Region) -> list[dict[str, Any]]:
    """The words of the region's final text with their boxes: the machine's words while the text is
    the machine's, else the corrected words placed over the region's lines (as hOCR, ALTO and PDF do)."""
    if r.text == r.model_text:
        return [{"text": t, "box": list(b)} for t, b in r.words]
    return [{"text": w.text, "box": list(w.box)} for line in region_lines(r) for w in line.words]


def region_json(r: Region, order: int) -> dict[str, Any]:
    return {
        "id": r.id,
        "order": order,
        "status": r.status.value,
        "polygon": [[x, y] for x, y in r.polygon],
        "bbox": list(r.bbox),
        "text": r.text,
        "model_text": r.model_text,
        "confidences": list(r.confidences),
        "words": _final_words(r),
        "provenance": {"engine": r.engine, "model": r.model, "updated_by": r.updated_by, "updated_at": r.updated_at},
        "error": r.error,
    }


def to_json(session: ReviewSession, pages: list[PageExport], document: Document | None) -> bytes:
    doc = {
        "name": session.document_path.name,
        "sha256": session.doc_hash,
        "dpi": session.dpi,
        "page_count": document.page_count if document is not None else None,
    }
    body = {
        "format": "notelasso-review",
        "version": 1,
        "generator": GENERATOR,
        "exported_at": utc_now(),
        "coordinates": "page pixels at document.dpi, origin top-left; pages numbered from 1",
        "document": doc,
        "sign_off": sign_off_metadata(session),
        "pages": [
            {
                "page": p.index + 1,
                "width": p.width,
                "height": p.height,
                "regions": [region_json(r, i) for i, r in enumerate(p.regions, 1)],
            }
            for p in pages
        ],
    }
    return encodable_text(json.dumps(body, ensure_ascii=False, indent=2)).encode("utf-8")


# -- entry point ----------------------------------------------------------------------------------
Writer = Callable[["ReviewSession", list[PageExport], "Document | None"], bytes]


#: Formats written as one file by one function; PAGE XML (a file per page) and PDF have their own paths.
WRITERS: dict[str, Writer] = {"txt": to_txt, "csv": to_csv, "json": to_json, "hocr": to_hocr, "alto": to_alto}

#: How each format's file is read back before it replaces the target (the PDF writer checks its own).
CHECKS: dict[str, Check] = {
    "txt": check_utf8,
    "csv": check_csv,
    "json": check_json,
    "hocr": check_xml,
    "alto": check_xml,
    "page": check_xml,
}


def export_session(
    session: ReviewSession,
    fmt: str,
    out_path: Path,
    *,
    pages: Iterable[int] | None = None,
    document: Document | None = None,
    unreadable_below: float = 0.0,
    pdf_options: PdfOptions | None = None,
) -> list[Path]:
    """Write the session as ``fmt`` to ``out_path``; ``pages`` (0-based) limits it, None = whole document.

    ``unreadable_below``: regions the model could not read by this floor (the reviewer's setting
    ``review/unreadable_below``) are exported with empty text, never the model's junk; JSON keeps the
    guess under ``model_text`` with its confidences, where it is labelled as the model's (decision 017).

    ``pdf_options``: the page images' resolution and quality in a searchable PDF (default: the originals).

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
        selected = collect_pages(session, pages, document, unreadable_below)
        if fmt == "pdf":
            assert document is not None
            written = [write_pdf(session, selected, document, out_path, pdf_options or PdfOptions())]
        elif fmt == "page":
            if len(selected) == 1:
                written = [write_atomic(out_path, to_page_xml(session, selected[0]), check_xml)]
            else:
                written = [
                    write_atomic(
                        out_path.with_name(f"{out_path.stem}-p{p.index + 1:04d}{out_path.suffix}"),
                        to_page_xml(session, p),
                        check_xml,
                    )
                    for p in selected
                ]
        else:
            written = [write_atomic(out_path, WRITERS[fmt](session, selected, document), CHECKS[fmt])]
    except OSError as exc:
        raise ExportError(f"The export could not be written to {out_path.name} (disk full or read-only?).") from exc
    finally:
        if own_doc is not None:
            own_doc.close()
    log.info(
        "exported %s: %d page(s), %d region(s), %d file(s) in %.0f ms",
        fmt,
        len(selected),
        sum(len(p.regions) for p in selected),
        len(written),
        (time.perf_counter() - t0) * 1e3,
    )
    return written


__all__ = [
    "FORMATS",
    "ExportError",
    "LineGeom",
    "PageExport",
    "PdfOptions",
    "WordGeom",
    "atomic_path",
    "export_session",
    "region_lines",
    "write_atomic",
]
