"""Layout XML exports: hOCR, ALTO v4 and PAGE XML 2019, built with xml.etree.

xml.etree escapes markup but writes control characters as they are, and XML 1.0 cannot hold
them; so the serialised document passes through :func:`~desktop.core.export_base.xml_text`,
which turns each character XML 1.0 cannot carry (C0 controls but tab, LF and CR; U+FFFE, U+FFFF;
lone surrogates) into U+FFFD, in element text and attribute values alike.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import TYPE_CHECKING

from desktop.core.export_base import (
    GENERATOR,
    PageExport,
    region_lines,
    sign_off_line,
    sign_off_metadata,
    xml_text,
)
from desktop.core.regions import utc_now
from inference.geometry import Box, Point

if TYPE_CHECKING:
    from desktop.core.session import ReviewSession
    from inference.documents import Document

ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
ALTO_XSD = "http://www.loc.gov/alto/v4/alto-4-2.xsd"
PAGE_NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
PAGE_XSD = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15/pagecontent.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XHTML_NS = "http://www.w3.org/1999/xhtml"


def _bbox(b: Box) -> str:
    return f"bbox {b[0]} {b[1]} {b[2]} {b[3]}"


def _xml_bytes(root: ET.Element, doctype: str = "") -> bytes:
    ET.indent(root)
    body = xml_text(ET.tostring(root, encoding="unicode"))  # markup is ASCII: only text and values change
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}{body}\n'.encode()


def _page_box(p: PageExport) -> Box:
    if p.width is not None and p.height is not None:
        return (0, 0, p.width, p.height)
    xs = [r.bbox[2] for r in p.regions] or [1]
    ys = [r.bbox[3] for r in p.regions] or [1]
    return (0, 0, int(max(xs)) + 1, int(max(ys)) + 1)


# -- hOCR ---------------------------------------------------------------------------------------
def to_hocr(session: ReviewSession, pages: list[PageExport], document: Document | None) -> bytes:
    html = ET.Element("html", {"xmlns": XHTML_NS, "xml:lang": "en", "lang": "en"})
    head = ET.SubElement(html, "head")
    ET.SubElement(head, "title").text = session.document_path.name
    ET.SubElement(head, "meta", {"http-equiv": "Content-Type", "content": "text/html;charset=utf-8"})
    ET.SubElement(head, "meta", {"name": "ocr-system", "content": GENERATOR})
    if signed := sign_off_line(session):
        ET.SubElement(head, "meta", {"name": "notelasso-sign-off", "content": signed})
    ET.SubElement(
        head, "meta", {"name": "ocr-capabilities", "content": "ocr_page ocr_carea ocr_par ocr_line ocrx_word"}
    )
    body = ET.SubElement(html, "body")
    name = session.document_path.name.replace('"', "'")
    for p in pages:
        n = p.index + 1
        page = ET.SubElement(
            body,
            "div",
            {
                "class": "ocr_page",
                "id": f"page_{n}",
                "title": f'image "{name}"; {_bbox(_page_box(p))}; ppageno {p.index}',
            },
        )
        for ri, r in enumerate(p.regions, 1):
            x0, y0, x1, y1 = (round(v) for v in r.bbox)
            area = ET.SubElement(
                page,
                "div",
                {
                    "class": "ocr_carea",
                    "id": f"block_{n}_{ri}",
                    "title": _bbox((x0, y0, x1, y1)),
                    "data-region-id": r.id,
                    "data-status": r.status.value,
                },
            )
            par = ET.SubElement(
                area, "p", {"class": "ocr_par", "id": f"par_{n}_{ri}", "title": _bbox((x0, y0, x1, y1))}
            )
            for li, line in enumerate(region_lines(r), 1):
                span = ET.SubElement(
                    par, "span", {"class": "ocr_line", "id": f"line_{n}_{ri}_{li}", "title": _bbox(line.box)}
                )
                for wi, w in enumerate(line.words, 1):
                    title = _bbox(w.box) + (
                        f"; x_wconf {round(w.confidence * 100)}" if w.confidence is not None else ""
                    )
                    word = ET.SubElement(
                        span, "span", {"class": "ocrx_word", "id": f"word_{n}_{ri}_{li}_{wi}", "title": title}
                    )
                    word.text = w.text
                    word.tail = " "
    return _xml_bytes(html, "<!DOCTYPE html>\n")


# -- ALTO v4 ------------------------------------------------------------------------------------
def _hvwh(b: Box) -> dict[str, str]:
    return {"HPOS": str(b[0]), "VPOS": str(b[1]), "WIDTH": str(b[2] - b[0]), "HEIGHT": str(b[3] - b[1])}


def to_alto(session: ReviewSession, pages: list[PageExport], document: Document | None) -> bytes:
    ET.register_namespace("", ALTO_NS)
    ET.register_namespace("xsi", XSI_NS)

    def q(tag: str) -> str:
        return f"{{{ALTO_NS}}}{tag}"

    alto = ET.Element(q("alto"), {f"{{{XSI_NS}}}schemaLocation": f"{ALTO_NS} {ALTO_XSD}"})
    desc = ET.SubElement(alto, q("Description"))
    ET.SubElement(desc, q("MeasurementUnit")).text = "pixel"
    src = ET.SubElement(desc, q("sourceImageInformation"))
    ET.SubElement(src, q("fileName")).text = session.document_path.name
    proc = ET.SubElement(desc, q("OCRProcessing"), {"ID": "OCR_0"})
    step = ET.SubElement(proc, q("ocrProcessingStep"))
    ET.SubElement(step, q("processingDateTime")).text = utc_now()
    sw = ET.SubElement(step, q("processingSoftware"))
    ET.SubElement(sw, q("softwareName")).text = GENERATOR
    if signed := sign_off_line(session):  # the review's sign-off, as a step after the reading
        post = ET.SubElement(proc, q("postProcessingStep"))
        ET.SubElement(post, q("processingStepDescription")).text = "notelasso-sign-off"
        ET.SubElement(post, q("processingStepSettings")).text = signed
    layout = ET.SubElement(alto, q("Layout"))
    for p in pages:
        n = p.index + 1
        pb = _page_box(p)
        page = ET.SubElement(
            layout, q("Page"), {"ID": f"page_{n}", "PHYSICAL_IMG_NR": str(n), "WIDTH": str(pb[2]), "HEIGHT": str(pb[3])}
        )
        space = ET.SubElement(page, q("PrintSpace"), _hvwh(pb))
        for r in p.regions:
            x0, y0, x1, y1 = (round(v) for v in r.bbox)
            block = ET.SubElement(space, q("TextBlock"), {"ID": f"r{r.id}", **_hvwh((x0, y0, x1, y1))})
            shape = ET.SubElement(block, q("Shape"))
            ET.SubElement(shape, q("Polygon"), {"POINTS": " ".join(f"{round(x)},{round(y)}" for x, y in r.polygon)})
            for li, line in enumerate(region_lines(r), 1):
                tl = ET.SubElement(block, q("TextLine"), {"ID": f"r{r.id}_l{li}", **_hvwh(line.box)})
                for wi, w in enumerate(line.words, 1):
                    if wi > 1:
                        ET.SubElement(tl, q("SP"))
                    attrs = {"ID": f"r{r.id}_l{li}_w{wi}", "CONTENT": w.text, **_hvwh(w.box)}
                    if w.confidence is not None:
                        attrs["WC"] = f"{max(0.0, min(1.0, w.confidence)):.3f}"
                    ET.SubElement(tl, q("String"), attrs)
    return _xml_bytes(alto)


# -- PAGE XML 2019 ------------------------------------------------------------------------------
def _points(polygon: Sequence[Point]) -> str:
    return " ".join(f"{max(0, round(x))},{max(0, round(y))}" for x, y in polygon)


def _box_points(b: Box) -> str:
    x0, y0, x1, y1 = b
    return _points([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])


def to_page_xml(session: ReviewSession, p: PageExport) -> bytes:
    """One page as PAGE XML 2019 (the format holds one page per file)."""
    ET.register_namespace("", PAGE_NS)
    ET.register_namespace("xsi", XSI_NS)

    def q(tag: str) -> str:
        return f"{{{PAGE_NS}}}{tag}"

    root = ET.Element(q("PcGts"), {f"{{{XSI_NS}}}schemaLocation": f"{PAGE_NS} {PAGE_XSD}"})
    meta = ET.SubElement(root, q("Metadata"))
    now = utc_now()
    ET.SubElement(meta, q("Creator")).text = GENERATOR
    ET.SubElement(meta, q("Created")).text = now
    ET.SubElement(meta, q("LastChange")).text = now
    if signed := sign_off_metadata(session):
        user = ET.SubElement(meta, q("UserDefined"))
        for key, value in signed.items():
            attrs = {"name": f"notelasso-sign-off-{key}", "type": "xsd:string", "value": value}
            ET.SubElement(user, q("UserAttribute"), attrs)
    pb = _page_box(p)
    page = ET.SubElement(
        root,
        q("Page"),
        {"imageFilename": session.document_path.name, "imageWidth": str(pb[2]), "imageHeight": str(pb[3])},
    )
    if p.regions:
        ro = ET.SubElement(page, q("ReadingOrder"))
        group = ET.SubElement(ro, q("OrderedGroup"), {"id": "reading_order"})
        for i, r in enumerate(p.regions):
            ET.SubElement(group, q("RegionRefIndexed"), {"index": str(i), "regionRef": f"r{r.id}"})
    for r in p.regions:
        custom = f"notelasso {{status:{r.status.value};}}"
        reg = ET.SubElement(page, q("TextRegion"), {"id": f"r{r.id}", "type": "paragraph", "custom": custom})
        ET.SubElement(reg, q("Coords"), {"points": _points(r.polygon)})
        for li, line in enumerate(region_lines(r), 1):
            tl = ET.SubElement(reg, q("TextLine"), {"id": f"r{r.id}_l{li}"})
            ET.SubElement(tl, q("Coords"), {"points": _box_points(line.box)})
            for wi, w in enumerate(line.words, 1):
                word = ET.SubElement(tl, q("Word"), {"id": f"r{r.id}_l{li}_w{wi}"})
                ET.SubElement(word, q("Coords"), {"points": _box_points(w.box)})
                te = ET.SubElement(
                    word, q("TextEquiv"), {"conf": f"{w.confidence:.3f}"} if w.confidence is not None else {}
                )
                ET.SubElement(te, q("Unicode")).text = w.text
            te = ET.SubElement(tl, q("TextEquiv"))
            ET.SubElement(te, q("Unicode")).text = line.text
        te = ET.SubElement(reg, q("TextEquiv"))
        ET.SubElement(te, q("Unicode")).text = r.text
    return _xml_bytes(root)


__all__ = ["to_alto", "to_hocr", "to_page_xml"]
