"""The second reader (PP-OCR through rapidocr) on real rendered text, and its hint when missing."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from inference.errors import BackendUnavailableError, InputError
from inference.second_reader import SECOND_READER_HINT, is_available, open_second_reader
from inference.textimage import render_lines

needs_reader = pytest.mark.skipif(not is_available()[0], reason="rapidocr (the 'second' extra) is not installed")


@pytest.fixture(scope="module")
def reader():
    if not is_available()[0]:
        pytest.skip("rapidocr (the 'second' extra) is not installed")
    r = open_second_reader(threads=1)
    yield r
    r.close()


@needs_reader
def test_it_reads_a_rendered_clinical_line_word_by_word_with_boxes(reader) -> None:
    # GIVEN a rendered two-line note
    rendered = render_lines(["Metformin 500 mg PO BID", "BP 128/82 HR 72"], font_size=28)
    # WHEN the second reader reads it
    reading = reader.read(rendered.image)
    # THEN it reads the words in reading order, each with a box around the word drawn there
    assert reading.texts == ["Metformin", "500", "mg", "PO", "BID", "BP", "128/82", "HR", "72"]
    drawn = {w: box for line in rendered.lines for w, box in line}
    for word in reading.words:
        x0, y0, x1, y1 = drawn[word.text]
        bx0, by0, bx1, by1 = word.box
        assert max(bx0, x0) < min(bx1, x1) and max(by0, y0) < min(by1, y1), word
        assert 0.5 < word.confidence <= 1.0


@needs_reader
def test_a_blank_region_reads_as_no_words(reader) -> None:
    assert reader.read(np.full((60, 300), 255, np.uint8)).words == ()


@needs_reader
def test_it_refuses_a_colour_or_empty_image(reader) -> None:
    with pytest.raises(InputError):
        reader.read(np.zeros((0, 10), np.uint8))
    with pytest.raises(InputError):
        reader.read(np.zeros((10, 10, 3), np.uint8))


def test_without_rapidocr_it_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN rapidocr cannot be imported (as on an install without the 'second' extra)
    monkeypatch.setitem(sys.modules, "rapidocr", None)
    # THEN the reader is unavailable, with the hint, and opening it raises that hint
    assert is_available() == (False, SECOND_READER_HINT)
    with pytest.raises(BackendUnavailableError) as err:
        open_second_reader()
    assert err.value.hint == SECOND_READER_HINT
    assert "notelasso[second]" in err.value.hint


@needs_reader
def test_in_its_own_process_it_reads_the_same_and_reports_bad_input() -> None:
    # GIVEN the reader in a child process (as the app runs it)
    rendered = render_lines(["Return in 3 months"], font_size=28)
    proc = open_second_reader(threads=1, separate_process=True)
    try:
        # WHEN it reads a rendered line, THEN it reads what the in-process reader reads
        assert proc.read(rendered.image).texts == ["Return", "in", "3", "months"]
        # AND a region of a page (RGB, as the app holds it) is cut and read in the child
        page = np.stack([rendered.image] * 3, axis=-1)
        assert proc.read_region(page, rendered.region(), 0).texts == ["Return", "in", "3", "months"]
        # AND bad input is refused as in-process
        with pytest.raises(InputError):
            proc.read(np.zeros((10, 10, 3), np.uint8))
    finally:
        proc.close()
    # AND once closed, it says it has stopped instead of hanging
    with pytest.raises(BackendUnavailableError):
        proc.read(rendered.image)
