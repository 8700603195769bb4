"""Every page is either shown right or refused clearly: the awkward-input corpus, memory and time."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from inference.documents import (
    MAX_PAGE_PIXELS,
    RENDER_MEMORY_BOUND,
    open_document,
)
from inference.errors import DocumentError
from tests.corpus import CorpusCase, write_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[CorpusCase]:
    return write_corpus(tmp_path_factory.mktemp("corpus"), include_large=False)


def check_case(case: CorpusCase) -> None:
    """Open ``case`` through the core API and check it gives exactly what the case says."""
    assert case.error is not None or case.outcome == "shown"
    if case.outcome == "refused" and case.stage == "open":
        with pytest.raises(case.error):  # type: ignore[arg-type]
            open_document(case.path)
        return
    with open_document(case.path) as doc:
        assert doc.page_count == case.page_count, case.name
        if case.outcome == "refused":
            with pytest.raises(case.error):  # type: ignore[arg-type]
                doc.render(0)
            return
        page = doc.render(0)
        assert page.dtype == np.uint8 and page.ndim == 3 and page.shape[2] == 3, case.name
        assert (page.shape[1], page.shape[0]) == case.page_size, case.name
        assert page.shape[0] * page.shape[1] <= MAX_PAGE_PIXELS
        assert page.min() < 128, f"{case.name}: no ink, the page would look blank"
        assert page[0, 0].min() > 200, f"{case.name}: the paper is not white"
        assert doc.page_size(0) == (page.shape[1], page.shape[0])


def test_corpus_has_every_kind_of_awkward_file(corpus) -> None:
    names = {c.name for c in corpus}
    for needed in ("empty.pdf", "random.png", "encrypted.pdf", "zero-pages.pdf", "bomb.png", "docx-renamed.pdf",
                   "loop-a.png", "truncated.pdf", "garbled-page.pdf", "cmyk.jpg", "cmyk.tiff", "palette.png",
                   "exif-rotated.jpg", "multipage.tiff", "gray16.png", "rgba-transparent.png"):  # fmt: skip
        assert needed in names
    name, path, outcome = corpus[0]
    assert path.name == name and outcome == "refused" and corpus[0].exit_code == 3


def test_every_corpus_file_is_shown_right_or_refused_clearly(corpus, capfd) -> None:
    for case in corpus:
        t0 = time.perf_counter()
        check_case(case)
        assert time.perf_counter() - t0 < 10, f"{case.name} took too long"
    out = capfd.readouterr()
    assert out.out == "", "MuPDF (or anything else) printed on stdout"
    assert "MuPDF" not in out.err


def test_sixteen_bit_and_transparent_pngs_keep_their_ink(tmp_path) -> None:
    # GIVEN a 16-bit greyscale page, mid-grey paper and black ink
    gray = np.full((100, 200), 50_000, np.uint16)
    gray[40:60, 20:180] = 1_000
    Image.fromarray(gray).save(tmp_path / "g16.png")
    # AND a transparent RGBA page with grey ink
    rgba = np.zeros((100, 200, 4), np.uint8)
    rgba[40:60, 20:180] = (90, 90, 90, 255)
    Image.fromarray(rgba).save(tmp_path / "t.png")
    # THEN the grey levels survive and transparency is white paper
    with open_document(tmp_path / "g16.png") as doc:
        page = doc.render(0)
        assert page[0, 0, 0] == round(50_000 / 257) and page[50, 100, 0] == round(1_000 / 257)
    with open_document(tmp_path / "t.png") as doc:
        page = doc.render(0)
        assert (page[0, 0] == 255).all() and (page[50, 100] == 90).all()


@pytest.mark.parametrize("name", ["truncated.pdf", "garbled-page.pdf"])
def test_damaged_pdf_is_refused_without_mupdf_chatter(tmp_path, name: str) -> None:
    case = next(c for c in write_corpus(tmp_path, include_large=False) if c.name == name)
    script = (
        "import sys\nfrom inference.documents import open_document\nfrom inference.errors import DocumentError\n"
        "try:\n    open_document(sys.argv[1]).render(0)\n"
        "except DocumentError as e:\n    print(type(e).__name__, e, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(case.path)], capture_output=True, text=True, timeout=60)
    assert proc.stdout == ""
    told = proc.stderr.strip().splitlines()[-1]
    assert told.startswith("DocumentError") and "damaged" in told
    # a file none of whose pages draws is refused on opening; one bad page, when it is drawn
    assert ("none of its pages" in told) == (case.stage == "open")


def test_a_pdf_page_over_the_cap_renders_smaller_and_says_by_how_much(tmp_path) -> None:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=72 * 60, height=72 * 60)  # 60 x 60 inches: 144 megapixels at 200 dpi
    page.insert_text((72, 72), "BP 128/82", fontsize=40)
    doc.save(str(tmp_path / "poster.pdf"))
    with open_document(tmp_path / "poster.pdf") as d:
        arr = d.render(0, dpi=200)
        assert arr.shape[0] * arr.shape[1] <= MAX_PAGE_PIXELS
        info = d.page_info(0)
        assert info.scale < 1 and abs(arr.shape[1] - 60 * 200 * info.scale) <= 1
        assert d.page_size(0, 200) == (arr.shape[1], arr.shape[0])
        assert d.render(0, dpi=100).shape[:2] == (6000, 6000) and d.page_info(0, 100).scale == 1.0


@pytest.mark.slow
def test_huge_image_is_reduced_within_the_memory_bound(tmp_path) -> None:
    # GIVEN the 14000x14000 bilevel scan (a few tens of KB on disk)
    case = next(c for c in write_corpus(tmp_path, include_large=True) if c.name == "huge.png")
    # WHEN a fresh process opens it, renders it and a thumbnail
    script = (
        "import resource, sys, time, json\nfrom inference.documents import open_document\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\nt0 = time.perf_counter()\n"
        "with open_document(sys.argv[1]) as d:\n    page = d.render(0)\n    thumb = d.render_thumbnail(0, 120)\n"
        "    scale = d.page_info(0).scale\n"
        "print(json.dumps({'s': time.perf_counter() - t0, 'base_kb': base, 'shape': page.shape, 'scale': scale,\n"
        "  'thumb': thumb.shape, 'peak_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(case.path)], capture_output=True, text=True, timeout=120)
    result = json.loads(proc.stdout)
    # THEN it is shown reduced (coordinates scale 1/3), fast, and the peak stays under the stated bound
    assert tuple(result["shape"][:2]) == (case.page_size[1], case.page_size[0])  # type: ignore[index]
    assert result["scale"] == pytest.approx(1 / 3)
    assert result["thumb"][1] <= 120
    added = (result["peak_kb"] - result["base_kb"]) * 1024
    print(f"huge.png: {result['s']:.2f} s, peak RSS {result['peak_kb'] / 1024:.0f} MB (+{added / 2**20:.0f} MB)")
    assert added < RENDER_MEMORY_BOUND
    assert result["s"] < 30


@pytest.mark.slow
def test_large_corpus_files(tmp_path) -> None:
    for case in write_corpus(tmp_path, include_large=True):
        if case.name in ("huge.png", "huge.tiff", "scan-600dpi.tiff"):
            t0 = time.perf_counter()
            check_case(case)
            assert time.perf_counter() - t0 < 30, case.name
    with open_document(tmp_path / "scan-600dpi.tiff") as doc:
        t0 = time.perf_counter()
        thumbs = [doc.render_thumbnail(i, 120) for i in range(doc.page_count)]
        assert all(t.shape[1] <= 120 for t in thumbs)
        assert time.perf_counter() - t0 < 20


def test_decompression_bomb_is_refused_fast(tmp_path) -> None:
    case = next(c for c in write_corpus(tmp_path, include_large=False) if c.name == "bomb.png")
    t0 = time.perf_counter()
    with pytest.raises(DocumentError, match="too large"):
        open_document(case.path)
    assert time.perf_counter() - t0 < 2
