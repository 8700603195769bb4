"""Region layout on rendered text with known word boxes."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inference.layout import LayoutOptions, analyse
from inference.textimage import render_lines


def _iou(a, b) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


@pytest.mark.parametrize("font_size", [18, 28, 40])
def test_paragraph_splits_into_lines_and_words_in_reading_order(font_size: int) -> None:
    rendered = render_lines(
        ["DATE: 12/10/98 Dr. Smith", "BP 128/82 HR 72", "Lisinopril 10 mg daily (PRN)"], font_size=font_size
    )
    layout = analyse(rendered.image)
    assert len(layout) == 3
    for found, truth in zip(layout, rendered.lines):
        assert len(found.word_boxes) == len(truth)
        for box, (_word, true_box) in zip(found.word_boxes, truth):
            assert _iou(box, true_box) > 0.5
        xs = [b[0] for b in found.words]
        assert xs == sorted(xs)


def test_underline_and_specks_do_not_make_lines() -> None:
    rendered = render_lines(["Signature Jane Doe"], font_size=28)
    page = rendered.image.copy()
    x0 = rendered.lines[0][0][1][0]
    x1 = rendered.lines[0][-1][1][2]
    y = max(b[3] for _, b in rendered.lines[0]) + 4
    page[y : y + 2, x0 - 20 : x1 + 21] = 0  # form line under the words
    rng = np.random.default_rng(0)
    ys, xs = rng.integers(0, page.shape[0], 30), rng.integers(0, page.shape[1], 30)
    page[ys, xs] = 0  # salt-and-pepper specks
    layout = analyse(page)
    assert len(layout) == 1
    assert len(layout[0].word_boxes) == 3


def test_blank_region_has_no_lines() -> None:
    assert analyse(np.full((60, 300), 245, np.uint8)) == []


def test_overlong_word_is_split_to_fit_the_model() -> None:
    long = "A" * 60  # far more than 25 characters at 32x128
    layout = analyse(render_lines([long], font_size=24).image, LayoutOptions())
    # cut into crops the model can read, joined again into one word
    assert len(layout) == 1 and len(layout[0].words) >= 3 and len(layout[0].word_boxes) == 1
    assert layout[0].glued == (False,) + (True,) * (len(layout[0].words) - 1)


def test_whole_scanned_page_finds_every_typed_line() -> None:
    """The sample note as a whole-page region: specks, two columns and a tall handwritten block."""
    import json
    from pathlib import Path

    from inference.documents import open_document, to_gray
    from inference.preprocess import crop_polygon

    samples = Path(__file__).resolve().parents[2] / "resources" / "samples"
    truth = json.loads((samples / "clinical-note.truth.json").read_text())
    with open_document(samples / "clinical-note.png") as doc:
        page = to_gray(doc.render(0))
    h, w = page.shape
    region = crop_polygon(page, [(0, 0), (w, 0), (w, h), (0, h)])
    found = [region.box_to_page(line.box) for line in analyse(region.image)]
    for line in (t for t in truth["lines"] if t["kind"] == "typed"):
        _x0, y0, _x1, y1 = line["box"]
        centre = (y0 + y1) / 2
        matches = [b for b in found if b[1] <= centre <= b[3] and b[3] - b[1] < 2.5 * (y1 - y0)]
        assert matches, f"no line found at y={centre:.0f}"


@pytest.mark.parametrize("clip", [0.2, 0.45, 0.8])
def test_neighbouring_lines_clipped_by_the_lasso_are_not_read(clip: float) -> None:
    # GIVEN three typed lines, and a region around the middle one that also takes in the bottom
    # of the line above and the top of the line below (as a hand-drawn lasso does)
    rendered = render_lines(
        ["Dr. Example wrote", "Patient: TESTPATIENT, Alex Q", "MRN 000-TEST-0042 DOB"], font_size=32, line_gap=0.25
    )
    above, middle, below = ([b for _, b in line] for line in rendered.lines)
    above_h = max(b[3] for b in above) - min(b[1] for b in above)
    below_h = max(b[3] for b in below) - min(b[1] for b in below)
    top = max(b[3] for b in above) - int(clip * above_h)
    bottom = min(b[1] for b in below) + int(clip * below_h)
    # WHEN it is laid out
    layout = analyse(rendered.image[top:bottom])
    # THEN only the middle line is there for sure, its words whole and only its own; a piece of
    # another line that is left is tentative (kept only if it reads well)
    sure = [line for line in layout if not line.tentative]
    assert len(sure) == 1 and len(layout) <= 3
    assert len(sure[0].word_boxes) == len(middle)
    line_top, line_bottom = min(b[1] for b in middle) - top, max(b[3] for b in middle) - top
    pad = 0.2 * (line_bottom - line_top)
    for box, true_box in zip(sure[0].word_boxes, middle):
        assert _iou(box, (true_box[0], true_box[1] - top, true_box[2], true_box[3] - top)) > 0.5
        # no more than the usual padding above and below the line: the fragments are left out
        assert box[1] >= line_top - pad and box[3] <= line_bottom + pad


def test_a_tight_crop_that_cuts_into_its_only_line_is_still_read() -> None:
    rendered = render_lines(["Lisinopril 10 mg daily"], font_size=32)
    boxes = [b for _, b in rendered.lines[0]]
    y0, y1 = min(b[1] for b in boxes), max(b[3] for b in boxes)
    cut = (y1 - y0) // 5
    layout = analyse(rendered.image[y0 + cut : y1 - cut])
    assert len(layout) == 1 and len(layout[0].word_boxes) == 4


def _serif() -> str:
    # A book face with round i/j dots set well above the x-height (as in most serif prints).
    for path in (
        "/usr/share/fonts/opentype/urw-base35/P052-Roman.otf",
        "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    ):
        if Path(path).is_file():
            return path
    pytest.skip("no serif font installed")


@pytest.mark.parametrize("word", ["eugenics", "minimum", "quizzing", "jiggy"])
@pytest.mark.parametrize("font_size", [30, 34, 38, 44])
def test_dots_of_i_and_j_stay_with_their_word(word: str, font_size: int) -> None:
    # GIVEN one lassoed word without ascenders, so its i/j dots form a row of their own above it
    rendered = render_lines([word], font_size=font_size, margin=12, font_path=_serif())
    # WHEN it is laid out
    layout = analyse(rendered.image)
    # THEN it is one line of one word whose crop takes in the dots
    assert len(layout) == 1 and len(layout[0].word_boxes) == 1
    ((_, (_, top, _, bottom)),) = rendered.lines[0]
    assert layout[0].words[0][1] <= top and layout[0].words[0][3] >= bottom


def _typewriter() -> str:
    for path in (
        "/usr/share/fonts/opentype/urw-base35/NimbusMonoPS-Regular.otf",
        "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    ):
        if Path(path).is_file():
            return path
    pytest.skip("no monospace font installed")


def _spaced(parts: list[tuple[str, float]], font_size: int = 22) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Draw characters one by one: (char, extra space before it in em). Returns the page and
    each character's ink columns [x0, x1)."""
    from PIL import ImageFont

    font = ImageFont.truetype(_typewriter(), font_size)
    img = Image.new("L", (40 + sum(int(font_size * (1 + gap)) for _, gap in parts), 3 * font_size), 255)
    draw = ImageDraw.Draw(img)
    x, cols = 12.0, []
    for ch, gap in parts:
        x += gap * font_size
        left, _, right, _ = draw.textbbox((x, font_size), ch, font=font)
        draw.text((x, font_size), ch, font=font, fill=0)
        cols.append((int(left), int(right)))
        x += font.getlength(ch)
    return np.asarray(img, dtype=np.uint8), cols


def test_letter_spaced_capitals_stay_one_word_until_a_real_word_gap() -> None:
    # GIVEN typewritten capitals with letters set apart by a third of the line height (as on
    # typed forms scanned at fax resolution), then a real word gap (a space plus as much again)
    word1 = [(c, 0.25) for c in "ISLAND"]
    word2 = [("A", 1.2)] + [(c, 0.25) for c in "VE"]
    page, _ = _spaced(word1 + word2)
    # WHEN it is laid out
    layout = analyse(page)
    # THEN it is two words, not a word per letter
    assert len(layout) == 1 and len(layout[0].word_boxes) == 2


def test_a_mark_set_apart_after_its_word_stays_with_it() -> None:
    # GIVEN "DATE" then a colon a little further away than the usual word gap, then a date
    parts = [(c, 0.0) for c in "DATE"] + [(":", 0.15)] + [(c, 0.0) if i else (c, 0.9) for i, c in enumerate("12/10/98")]
    page, cols = _spaced(parts)
    # WHEN it is laid out
    (line,) = analyse(page)
    # THEN the colon is in the first word's crop, and the date is a word of its own
    ink_x = np.flatnonzero((page < 128).any(0))
    colon_right = int(ink_x[ink_x < cols[5][0]].max())
    assert len(line.word_boxes) == 2
    assert line.words[0][2] > colon_right and line.words[1][0] > colon_right


@pytest.mark.parametrize("side", ["left", "right"])
def test_a_sliver_of_a_neighbouring_word_cut_by_the_region_edge_is_not_read(side: str) -> None:
    # GIVEN a region drawn over "Allergies nil known" that cuts through the first/last word,
    # leaving a sliver of it at the edge
    rendered = render_lines(["Allergies nil known"], font_size=30)
    (_, first), (_, _middle), (_, last) = rendered.lines[0]
    top, bottom = first[1] - 8, max(b[3] for _, b in rendered.lines[0]) + 8
    ink_x = np.flatnonzero((rendered.image < 128).any(0))
    if side == "left":  # the last 4 ink columns of "Allergies"
        x0, x1 = int(ink_x[ink_x < first[2]].max()) - 3, last[2] + 8
    else:  # the first 4 ink columns of "known"
        x0, x1 = first[0] - 8, int(ink_x[ink_x >= last[0]].min()) + 4
    layout = analyse(rendered.image[top:bottom, x0:x1])
    # THEN only the whole words are read
    assert len(layout) == 1 and len(layout[0].word_boxes) == 2


@pytest.mark.parametrize(
    "font",
    [
        "/usr/share/fonts/opentype/urw-base35/NimbusMonoPS-Regular.otf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    ],
)
@pytest.mark.parametrize("font_size", [16, 28])
def test_typewritten_label_colons_stay_with_their_label(font: str, font_size: int) -> None:
    # GIVEN typed form labels: a monospace colon sits in the middle of its cell, far from the label
    if not Path(font).is_file():
        pytest.skip(f"{font} is not installed")
    rendered = render_lines(
        ["Patient: TESTPATIENT, Alex Q", "Visit date: 03/14/2025", "so I said a word"],
        font_size=font_size,
        font_path=font,
    )
    # WHEN it is laid out
    layout = analyse(rendered.image)
    # THEN each label keeps its colon, and short words (I, a) are not swallowed as marks
    assert [len(line.word_boxes) for line in layout] == [4, 3, 5]


def test_a_boxed_field_is_split_into_its_lines() -> None:
    # GIVEN two lines inside a form's box (its left and right borders join every row of ink)
    rendered = render_lines(["FOLLOW DEPARTMENT AND", "SAFETY MANUALS"], font_size=24, line_gap=0.3)
    page = rendered.image.copy()
    h, w = page.shape
    boxed = Image.fromarray(page)
    ImageDraw.Draw(boxed).rectangle((6, 6, w - 7, h - 7), outline=0, width=2)
    page = np.asarray(boxed).copy()
    # WHEN it is laid out
    layout = analyse(page)
    # THEN the borders are not text, and each line is found with its words
    assert [len(line.word_boxes) for line in layout] == [3, 2]


def test_lines_whose_descenders_touch_the_next_line_are_split() -> None:
    # GIVEN two lines set so close that the descenders of one reach the ascenders of the next
    rendered = render_lines(["Quantity, Cartons", "of 200 each"], font_size=30, line_gap=-0.2)
    ink = rendered.image < 128
    mids = [(min(b[1] for _, b in line) + max(b[3] for _, b in line)) // 2 for line in rendered.lines]
    assert ink[mids[0] : mids[1]].any(1).all()  # no blank row between them
    # WHEN it is laid out
    layout = analyse(rendered.image)
    # THEN they are two lines again
    assert [len(line.word_boxes) for line in layout] == [2, 3]


def test_narrow_word_gaps_of_tightly_set_print_still_separate_words() -> None:
    # GIVEN a line whose words stand closer than a third of its height (a fax's tight setting),
    # and whose letters touch

    from inference.textimage import load_font

    font = load_font(22)
    words = ["The", "information", "contained", "in", "this", "facsimile"]
    img = Image.new("L", (900, 60), 255)
    draw = ImageDraw.Draw(img)
    x = 10.0
    for word in words:
        draw.text((x, 15), word, font=font, fill=0)
        x += font.getlength(word) + 0.18 * 22
    # WHEN it is laid out
    ink: np.ndarray = np.where(np.asarray(img, dtype=np.uint8) > 160, 255, 0)
    layout = analyse(ink.astype(np.uint8))
    # THEN each word is a word
    assert len(layout) == 1 and len(layout[0].word_boxes) == len(words)


@pytest.mark.parametrize("second", ["one now", "once ac", "nuvo wax"])
def test_a_tight_lasso_keeps_a_last_line_of_short_letters(second: str) -> None:
    # GIVEN two lines, the second all x-height letters, and a rectangle tight around their ink
    rendered = render_lines(["Metformin 500 mg", second], font_size=28, line_gap=0.4)
    boxes = [b for line in rendered.lines for _, b in line]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    # WHEN it is laid out
    layout = analyse(rendered.image[y0:y1, x0 - 4 : x1 + 4])
    # THEN the short line is read too: the edge touches it, but cuts none of its letters
    assert [len(line.word_boxes) for line in layout] == [3, 2]


def test_strokes_of_a_cut_line_above_do_not_join_words() -> None:
    # GIVEN a line whose word gaps are crossed at the top by the descenders of a line above that
    # the lasso cut (they run from the region's edge down into the line's ascender zone)
    rendered = render_lines(["If any addresses or telephone numbers"], font_size=26, margin=20)
    boxes = [b for _, b in rendered.lines[0]]
    top = min(b[1] for b in boxes)
    drawn = Image.fromarray(rendered.image)
    for left, right in itertools.pairwise(boxes):
        x = (left[2] + right[0]) // 2
        ImageDraw.Draw(drawn).line([(x, top - 8), (x + 2, top)], fill=0, width=2)
    page = np.asarray(drawn)
    crop = page[top - 8 : max(b[3] for b in boxes) + 6]
    # WHEN it is laid out
    layout = analyse(crop)
    # THEN the gaps are found in the line's body, which those strokes do not reach
    assert len(layout) == 1 and len(layout[0].word_boxes) == len(boxes)


def test_word_gaps_are_found_beside_wider_column_gaps() -> None:
    # GIVEN a typed vitals line: words one space apart, groups three spaces apart (as the sample
    # note and typed forms set them), so the line's gaps are of three widths
    rendered = render_lines(["BP 128/82   HR 76   Temp 98.4 F   SpO2 97%"], font_size=30, font_path=_typewriter())
    # WHEN it is laid out
    (line,) = analyse(rendered.image)
    # THEN every word is a word: the widest gaps (between groups) do not hide the word gaps
    assert len(line.word_boxes) == 9


@pytest.mark.parametrize("font_size", [14, 20, 26])
@pytest.mark.parametrize("text", ["803108404", "24.75 mm", "$6.816", "91903177 Lot 1"])
def test_typewritten_numbers_stay_whole(text: str, font_size: int) -> None:
    # GIVEN a typewritten number: in a monospaced font a 1 or a dot leaves a gap in its cell as
    # wide as a word gap, so ink gaps alone cut "803108404" into five to nine pieces
    rendered = render_lines([text], font_size=font_size, font_path=_typewriter())
    # WHEN it is laid out
    (found,) = analyse(rendered.image)
    # THEN the words are the typed words: in typewritten text a word gap is a skipped cell
    assert len(found.word_boxes) == len(text.split())


def test_slivers_join_their_line_without_snowballing_down_the_page() -> None:
    from inference.layout import _merge_slivers

    # GIVEN a line (rows 5-15), its descender sliver two rows below, then a run of specks (a
    # signature's strokes) each a row or two apart, then the next line
    specks = [(20 + 3 * k, 21 + 3 * k) for k in range(8)]
    bands = [(5, 15), (17, 18), *specks, (50, 60)]
    # WHEN slivers are merged
    merged = _merge_slivers(bands, height=80)
    # THEN the descender joins its line, and the specks do not chain on into it one by one
    assert merged[0] == (5, 18)
    assert (50, 60) in merged and len(merged) >= 8


def test_typed_blanks_are_rules_not_text() -> None:
    # GIVEN a form line with typed blanks, each a few words long, in a wide region
    rendered = render_lines(["Name: ____________ Ward: ________ Bed: ______"], font_size=26, font_path=_typewriter())
    page = np.full((rendered.image.shape[0], rendered.image.shape[1] + 600), 255, np.uint8)
    page[:, : rendered.image.shape[1]] = rendered.image
    # WHEN it is laid out
    (line,) = analyse(page)
    # THEN only the labels are left to read
    labels = [b for w, b in rendered.lines[0] if not w.startswith("_")]
    assert len(line.word_boxes) == len(labels)
    for box, true_box in zip(line.word_boxes, labels):
        assert _iou(box, true_box) > 0.5
