"""Write the bundled sample: a fictitious typed clinical note that looks scanned.

``python -m training.sample_note [out_dir]`` writes clinical-note.png (8-bit grey, 200 dpi
letter), clinical-note.pdf (the same image as a scanned PDF page) and clinical-note.truth.json
(every text line with its box and four-corner polygon in page pixels at 200 dpi, so tests can
lasso a known line and know what it says). Needs PIL and the system fonts only (no torch).
Every name and number is made up.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

DPI = 200
WIDTH, HEIGHT = int(8.5 * DPI), int(11 * DPI)
ROTATION_DEG = 0.6
SEED = 4
OUT_DIR = Path(__file__).resolve().parents[1] / "resources" / "samples"

FONT_DIRS = (Path("/usr/share/fonts"),)
TYPED = ("LiberationMono-Regular.ttf", "NimbusMonoPS-Regular.otf", "Courier Prime.otf", "DejaVuSansMono.ttf")
TYPED_BOLD = ("LiberationSans-Bold.ttf", "NimbusSans-Bold.otf", "DejaVuSans-Bold.ttf")
SANS = ("LiberationSans-Regular.ttf", "NimbusSans-Regular.otf", "DejaVuSans.ttf")
HAND = ("dkgIt.ttf", "dkg.ttf", "Z003-MediumItalic.otf", "DejaVuSerif-Italic.ttf")

# (kind, font family, size in points, text); "gap" adds vertical space.
NOTE: list[tuple[str, str, float, str]] = [
    ("typed", "bold", 16, "RIVERBEND COMMUNITY CLINIC"),
    ("typed", "sans", 10, "Outpatient Progress Note - SAMPLE DOCUMENT, NOT A REAL PATIENT"),
    ("gap", "", 0.5, ""),
    ("typed", "mono", 11, "Patient: TESTPATIENT, Alex Q (fictitious)"),
    ("typed", "mono", 11, "MRN: 000-TEST-0042      DOB: 01/01/1970"),
    ("typed", "mono", 11, "Visit date: 03/14/2025  Provider: Dr. J. Example"),
    ("gap", "", 0.5, ""),
    ("typed", "bold", 12, "Vitals"),
    ("typed", "mono", 11, "BP 128/82   HR 76   Temp 98.4 F   SpO2 97%"),
    ("typed", "mono", 11, "Weight 82.5 kg   Height 175 cm"),
    ("gap", "", 0.5, ""),
    ("typed", "bold", 12, "Medications"),
    ("typed", "mono", 11, "Metformin 500 mg PO BID"),
    ("typed", "mono", 11, "Lisinopril 10 mg PO daily"),
    ("typed", "mono", 11, "Atorvastatin 20 mg PO at bedtime"),
    ("gap", "", 0.5, ""),
    ("typed", "bold", 12, "Assessment and plan"),
    ("typed", "mono", 11, "Type 2 diabetes, stable. Continue current regimen."),
    ("typed", "mono", 11, "Recheck HbA1c in 3 months. Follow up in 12 weeks."),
    ("gap", "", 1.0, ""),
    ("hand", "hand", 15, "Pt reports less fatigue"),
    ("hand", "hand", 15, "Increase walking 30 min/day"),
    ("hand", "hand", 15, "RTC 12 wks - JE"),
]


def find_font(names: tuple[str, ...]) -> Path:
    for name in names:
        for base in FONT_DIRS:
            hits = sorted(base.rglob(name))
            if hits:
                return hits[0]
    raise FileNotFoundError(f"none of the fonts {names} is installed (apt: fonts-liberation2 fonts-dkg-handwriting)")


def _font(family: str, size_pt: float) -> ImageFont.FreeTypeFont:
    names = {"mono": TYPED, "bold": TYPED_BOLD, "sans": SANS, "hand": HAND}[family]
    return ImageFont.truetype(str(find_font(names)), round(size_pt * DPI / 72))


def render_note(seed: int = SEED) -> tuple[Image.Image, list[dict[str, Any]]]:
    """The page image and its lines (text, kind, box, polygon) after the scan's slight rotation."""
    rng = random.Random(seed)
    page = Image.new("L", (WIDTH, HEIGHT), 255)
    draw = ImageDraw.Draw(page)
    margin_x, y = int(1.0 * DPI), int(0.9 * DPI)
    lines: list[dict[str, Any]] = []
    for kind, family, size, text in NOTE:
        if kind == "gap":
            y += int(size * 0.25 * DPI)
            continue
        font = _font(family, size)
        x = margin_x + (rng.randint(0, 40) if kind == "hand" else 0)
        ink = rng.randint(20, 60) if kind == "typed" else rng.randint(40, 90)
        x0, y0, x1, y1 = draw.textbbox((x, y), text, font=font)
        draw.text((x, y), text, font=font, fill=ink)
        lines.append({"text": text, "kind": "typed" if kind == "typed" else "handwritten", "box": [x0, y0, x1, y1]})
        y += int(font.size * (1.55 if kind == "hand" else 1.35))
    # The scan: a slight rotation about the page centre, grey paper, soft focus, specks.
    page = page.rotate(ROTATION_DEG, resample=Image.Resampling.BICUBIC, fillcolor=255)
    page = page.filter(ImageFilter.GaussianBlur(0.6))
    arr = np.asarray(page, dtype=np.float32)
    nprng = np.random.default_rng(seed)
    arr = arr / 255.0 * 232  # grey paper
    specks = nprng.random(arr.shape) < 0.0006
    arr[specks] = nprng.uniform(60, 160, specks.sum())
    arr = np.clip(arr, 0, 255)
    arr = (np.round(arr / 8) * 8).clip(0, 255).astype(np.uint8)  # few grey levels: a small PNG
    out = Image.fromarray(arr, "L")
    # Boxes follow the rotation (PIL rotates counter-clockwise about the centre).
    cx, cy, a = WIDTH / 2, HEIGHT / 2, math.radians(ROTATION_DEG)
    cos, sin = math.cos(a), math.sin(a)

    def rot(x: float, y: float) -> tuple[float, float]:
        dx, dy = x - cx, y - cy
        return (round(cx + dx * cos + dy * sin, 1), round(cy - dx * sin + dy * cos, 1))

    for line in lines:
        x0, y0, x1, y1 = line["box"]
        pad = 6
        poly = [rot(x0 - pad, y0 - pad), rot(x1 + pad, y0 - pad), rot(x1 + pad, y1 + pad), rot(x0 - pad, y1 + pad)]
        xs, ys = [p[0] for p in poly], [p[1] for p in poly]
        line["polygon"] = [list(p) for p in poly]
        line["box"] = [math.floor(min(xs)), math.floor(min(ys)), math.ceil(max(xs)), math.ceil(max(ys))]
    return out, lines


def write_sample(out_dir: Path = OUT_DIR) -> list[Path]:
    import pymupdf

    out_dir.mkdir(parents=True, exist_ok=True)
    image, lines = render_note()
    png = out_dir / "clinical-note.png"
    image.save(png, format="PNG", optimize=True, dpi=(DPI, DPI))
    jpeg = io.BytesIO()
    image.save(jpeg, format="JPEG", quality=70, dpi=(DPI, DPI))
    pdf_path = out_dir / "clinical-note.pdf"
    doc = pymupdf.open()
    page = doc.new_page(width=WIDTH * 72 / DPI, height=HEIGHT * 72 / DPI)
    page.insert_image(page.rect, stream=jpeg.getvalue())
    doc.set_metadata({"title": "NoteLasso sample clinical note (fictitious)", "creator": "training.sample_note"})
    doc.save(str(pdf_path), garbage=3, deflate=True)
    doc.close()
    truth = out_dir / "clinical-note.truth.json"
    truth.write_text(
        json.dumps(
            {
                "description": "Fictitious clinical note rendered by training/sample_note.py; boxes in page pixels.",
                "dpi": DPI,
                "width": WIDTH,
                "height": HEIGHT,
                "rotation_deg": ROTATION_DEG,
                "image": png.name,
                "pdf": pdf_path.name,
                "lines": lines,
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    return [png, pdf_path, truth]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", nargs="?", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)
    for p in write_sample(args.out_dir):
        print(f"{p} ({p.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
