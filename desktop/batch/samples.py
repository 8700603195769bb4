"""Generated backlogs for trying and measuring ``notelasso batch``: multi-page PDF (text drawn by
MuPDF), multi-page TIFF and PNG pages of rendered note text; no patient data, nothing downloaded."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from inference.textimage import render_lines

__all__ = ["LINES", "write_backlog"]

LINES = (
    "Patient seen today for follow up",
    "BP 128/82 HR 72 Temp 37.1",
    "Metformin 500 mg PO BID",
    "Plan: review in 2 weeks",
)


def _page_lines(doc: int, page: int, lines: int) -> list[str]:
    return [f"Note {doc + 1} page {page + 1}", *(LINES[(doc + page + i) % len(LINES)] for i in range(lines - 1))]


def _image(doc: int, page: int, lines: int, font_size: int) -> Image.Image:
    rendered = render_lines(_page_lines(doc, page, lines), font_size=font_size, margin=30, line_gap=1.0)
    return Image.fromarray(rendered.image)


def write_backlog(
    folder: Path, *, documents: int = 4, pages: int = 2, lines: int = 3, font_size: int = 22
) -> list[Path]:
    """Write ``documents`` files to ``folder`` (PDF, TIFF, PNG in turn; a PNG has one page, the others
    ``pages``), each page ``lines`` lines of note text. Returns the paths, in name order."""
    import pymupdf

    folder.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    for d in range(documents):
        kind = ("pdf", "tiff", "png")[d % 3]
        path = folder / f"note-{d + 1:03d}.{kind}"
        if kind == "pdf":
            pdf = pymupdf.open()
            for p in range(pages):
                page = pdf.new_page(width=360, height=60 + 30 * lines)
                for i, text in enumerate(_page_lines(d, p, lines)):
                    page.insert_text((24, 40 + 30 * i), text, fontsize=14)
            pdf.save(str(path))
            pdf.close()
        elif kind == "tiff":
            frames = [_image(d, p, lines, font_size) for p in range(pages)]
            frames[0].save(path, save_all=True, append_images=frames[1:], compression="tiff_deflate")
        else:
            _image(d, 0, lines, font_size).save(path)
        out.append(path)
    return sorted(out)
