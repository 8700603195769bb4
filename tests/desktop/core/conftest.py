"""Fixtures for desktop.core tests: generated documents, a private app data dir, fake results."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from desktop.core.session import ReviewSession
from inference.recognizer import LineResult, RegionResult, WordResult, join_lines

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "resources" / "samples"


@pytest.fixture
def image_doc(tmp_path: Path) -> Path:
    """A small generated grey page (PNG) in its own folder."""
    folder = tmp_path / "docs"
    folder.mkdir()
    path = folder / "note.png"
    rng = np.random.default_rng(0)
    arr = np.full((400, 300), 235, np.uint8)
    arr[rng.random(arr.shape) < 0.01] = 40  # unique content per seed
    Image.fromarray(arr).save(path)
    return path


@pytest.fixture
def pdf_doc(tmp_path: Path) -> Path:
    """A two-page generated PDF (letter size) in its own folder."""
    import pymupdf

    folder = tmp_path / "pdfs"
    folder.mkdir()
    path = folder / "two-pages.pdf"
    doc = pymupdf.open()
    for i in range(2):
        page = doc.new_page(width=612, height=792)
        page.draw_rect(pymupdf.Rect(72, 72 + i * 10, 300, 100 + i * 10), color=(0, 0, 0))
    doc.save(str(path))
    doc.close()
    return path


@pytest.fixture
def sample_png(tmp_path: Path) -> Path:
    path = SAMPLES / "clinical-note.png"
    if not path.exists():
        pytest.skip("resources/samples/clinical-note.png missing: run python -m training.sample_note")
    dst = tmp_path / "sample" / path.name
    dst.parent.mkdir()
    shutil.copy(path, dst)
    return dst


@pytest.fixture
def sample_truth() -> dict:
    return json.loads((SAMPLES / "clinical-note.truth.json").read_text(encoding="utf-8"))


@pytest.fixture
def session(image_doc: Path):
    s = ReviewSession.open(image_doc, user="clerk1")
    yield s
    s.close()


def make_result(lines: Sequence[Sequence[tuple[str, tuple[int, int, int, int]]]], conf: float = 0.9) -> RegionResult:
    """A RegionResult built directly: ``lines`` of (word, box) pairs; every character gets ``conf``."""
    line_results = []
    for words in lines:
        ws = tuple(WordResult(t, tuple([conf] * len(t)), box) for t, box in words)
        x0 = min(b[0] for _, b in words)
        line_results.append(
            LineResult(ws, (x0, min(b[1] for _, b in words), max(b[2] for _, b in words), max(b[3] for _, b in words)))
        )
    text, confs = join_lines(line_results)
    return RegionResult(text, confs, tuple(line_results))


def rect(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
