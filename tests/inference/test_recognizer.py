"""Recognizer: batching through a back end, page-pixel boxes, and the back-end contract."""

from __future__ import annotations

import numpy as np
import pytest

from inference.backends import BackendConfig, open_backend
from inference.backends.base import Backend
from inference.errors import BackendUnavailableError, InputError, ModelMismatchError
from inference.recognizer import Recognizer
from inference.spec import ModelSpec
from inference.textimage import render_lines


class CountingBackend:
    """A test double: logits spell 'ok' for every crop; records the batch sizes it saw."""

    label = "counting"
    is_remote = False

    def __init__(self, spec: ModelSpec | None = None) -> None:
        self._spec = spec or ModelSpec()
        self.calls: list[int] = []

    @property
    def spec(self) -> ModelSpec:
        return self._spec

    def infer(self, batch: np.ndarray) -> np.ndarray:
        s = self._spec
        self.calls.append(batch.shape[0])
        out = np.zeros((batch.shape[0], s.num_steps, s.num_classes), np.float32)
        for t, ch in enumerate("ok"):
            out[:, t, s.charset.index(ch) + 1] = 9.0
        out[:, 2, s.eos_id] = 9.0
        return out

    def close(self) -> None:
        pass


def test_crops_are_batched_and_boxes_are_in_page_pixels() -> None:
    # GIVEN a page with a 3-line, 12-word paragraph at an offset
    rendered = render_lines(["DATE: 12/10/98 Dr. Smith", "BP 128/82 HR 72", "Lisinopril 10 mg daily"], font_size=28)
    page = np.full((600, 900), 255, np.uint8)
    page[100 : 100 + rendered.image.shape[0], 200 : 200 + rendered.image.shape[1]] = rendered.image
    polygon = [(x + 200, y + 100) for x, y in rendered.region()]
    backend = CountingBackend()
    # WHEN it is read with batches of 5
    result = Recognizer(backend, batch_size=5).recognize(page, polygon)
    # THEN 12 crops went through in 3 calls, and the text keeps the layout
    assert backend.calls == [5, 5, 2]
    assert result.text == "ok ok ok ok\nok ok ok ok\nok ok ok ok"
    assert len(result.confidences) == len(result.text)
    assert result.timings_ms["crops"] == 12
    for found, (_word, (x0, y0, x1, y1)) in zip(result.words, [w for line in rendered.lines for w in line]):
        fx0, fy0, fx1, fy1 = found.box
        assert abs(fx0 - (x0 + 200)) <= 6 and abs(fx1 - (x1 + 200)) <= 6
        # word crops span their line's height: they contain the glyphs' box vertically
        assert fy0 - 4 <= y0 + 100 and y1 + 100 <= fy1 + 4 and fy1 - fy0 < 60


def test_confidences_point_at_characters() -> None:
    result = Recognizer(CountingBackend()).recognize(
        render_lines(["a b"]).image, [(0, 0), (200, 0), (200, 120), (0, 120)]
    )
    below = lambda threshold: [i for i, c in enumerate(result.confidences) if c < threshold]  # noqa: E731
    assert below(0.5) == []
    # the model is ~0.99 sure of each letter; the inserted space is certain
    assert below(0.995) == [i for i, c in enumerate(result.text) if c != " "]


def test_blank_region_reads_as_empty() -> None:
    result = Recognizer(CountingBackend()).recognize(
        np.full((100, 300), 250, np.uint8), [(0, 0), (300, 0), (300, 100), (0, 100)]
    )
    assert result.text == "" and result.lines == ()


@pytest.fixture(params=["micro", "tiny"])
def onnx_model(request, tiny_onnx):
    return request.getfixturevalue("micro_onnx") if request.param == "micro" else tiny_onnx


def test_cpu_backend_contract(onnx_model) -> None:
    backend = open_backend(BackendConfig("cpu", {"model_path": onnx_model, "threads": 1}))
    try:
        assert isinstance(backend, Backend) and not backend.is_remote
        spec = backend.spec
        x = np.random.default_rng(0).uniform(-1, 1, (7, *spec.input_shape)).astype(np.float32)
        whole = backend.infer(x)
        assert whole.shape == (7, spec.num_steps, spec.num_classes) and whole.dtype == np.float32
        # each row depends only on its own crop, whatever the batch
        np.testing.assert_allclose(backend.infer(x[3:4])[0], whole[3], atol=1e-4)
        with pytest.raises(InputError):
            backend.infer(np.zeros((2, 3, 16, 64), np.float32))
    finally:
        backend.close()


def test_missing_model_file_and_unknown_backend() -> None:
    with pytest.raises(BackendUnavailableError):
        open_backend(BackendConfig("nope"))
    with pytest.raises((BackendUnavailableError, ModelMismatchError)):
        open_backend(BackendConfig("cpu", {"model_path": "/nonexistent/model.onnx"}))


def test_model_not_matching_its_spec_is_refused(tmp_path) -> None:
    from tests.fakes.tiny_models import write_tiny_model

    bad_spec = ModelSpec(max_label_length=30)  # the graph still outputs 26 steps
    path = write_tiny_model(tmp_path, spec=ModelSpec())
    (tmp_path / "model.spec.json").write_text(bad_spec.to_json())
    with pytest.raises(ModelMismatchError):
        open_backend(BackendConfig("cpu", {"model_path": path}))


def test_a_colour_page_reads_as_its_gray_self(bundled_model) -> None:
    # GIVEN a colour page (a scan in RGB, text off the corner), and the same page in gray
    rendered = render_lines(["Metformin 500 mg PO BID", "BP 128/82 HR 72"], font_size=30, margin=20)
    gray = np.full((500, 900), 240, np.uint8)
    h, w = rendered.image.shape
    gray[150 : 150 + h, 300 : 300 + w] = rendered.image
    colour = np.stack([gray, np.roll(gray, 1, axis=1), gray // 2 + 100], axis=-1)
    from inference.documents import to_gray

    expected_gray = to_gray(colour)
    polygons = [
        [(295.4, 144.6), (305.0 + w, 144.6), (305.0 + w, 155.2 + h), (295.4, 155.2 + h)],
        [(300, 150), (300 + w, 150), (300 + w, 150 + h // 2), (300, 150 + h // 2)],
    ]
    backend = open_backend(BackendConfig("cpu", {"model_path": bundled_model, "threads": 1}))
    try:
        reader = Recognizer(backend)
        # WHEN each is read (the colour page is converted only where the regions lie)
        from_colour = reader.recognize_many(colour, polygons)
        from_gray = reader.recognize_many(expected_gray, polygons)
    finally:
        backend.close()
    # THEN both read the same, with the same boxes and confidences
    for a, b in zip(from_colour, from_gray):
        assert a.text == b.text and a.confidences == b.confidences and a.text
        assert [ln.box for ln in a.lines] == [ln.box for ln in b.lines]
    # AND bad polygons are still refused as before
    with pytest.raises(InputError):
        Recognizer(CountingBackend()).recognize(colour, [(0, 0), (float("nan"), 0), (5, 5)])


def test_a_turned_region_reads_as_the_upright_one(bundled_model) -> None:
    # GIVEN a note line, and the same page turned a quarter (a sideways scan)
    page = render_lines(["Metformin 500 mg PO BID", "BP 128/82 HR 72"], font_size=30, margin=20).image
    h, w = page.shape
    sideways = np.ascontiguousarray(np.rot90(page))  # the view shows it upright when turned 90 clockwise
    backend = open_backend(BackendConfig("cpu", {"model_path": bundled_model, "threads": 1}))
    try:
        reader = Recognizer(backend)
        upright = reader.recognize(page, [(0, 0), (w, 0), (w, h), (0, h)])
        # WHEN the region is read with the view's rotation
        turned = reader.recognize(sideways, [(0, 0), (h, 0), (h, w), (0, w)], rotation=90)
        as_is = reader.recognize(sideways, [(0, 0), (h, 0), (h, w), (0, w)])
    finally:
        backend.close()
    # THEN it reads what the upright page reads, with boxes on the sideways page
    assert turned.text == upright.text and len(turned.lines) == 2 and turned.auto_turn == 0
    # AND read as it lies, with no turn asked for, it is found sideways and read upright too
    assert as_is.text == upright.text and as_is.auto_turn == 90
    for line in [*turned.lines, *as_is.lines]:
        x0, y0, x1, y1 = line.box
        assert y1 - y0 > x1 - x0  # a line runs down the sideways page
        assert 0 <= x0 < x1 <= h and 0 <= y0 < y1 <= w


@pytest.mark.parametrize("turn", [1, 3])
def test_a_vertical_id_along_the_page_edge_is_read_upright(bundled_model, turn: int) -> None:
    # GIVEN an id printed sideways (as along the edge of a form), and a rectangle drawn around it
    rendered = render_lines(["82200067"], font_size=30, margin=12)
    ((_, (x0, y0, x1, y1)),) = rendered.lines[0]
    printed = rendered.image[y0 - 8 : y1 + 8, x0 - 8 : x1 + 8]
    page = np.ascontiguousarray(np.rot90(printed, k=turn))
    h, w = page.shape
    assert h > 2 * w
    backend = open_backend(BackendConfig("cpu", {"model_path": bundled_model, "threads": 1}))
    try:
        # WHEN it is read with no turn asked for
        result = Recognizer(backend).recognize(page, [(0, 0), (w, 0), (w, h), (0, h)])
    finally:
        backend.close()
    # THEN it reads upright, and says which turn made it so
    assert result.text == "82200067"
    assert result.auto_turn == (90 if turn == 1 else 270)


def test_a_word_cut_to_fit_the_model_is_read_as_one_word(bundled_model) -> None:
    # GIVEN a long word in a tight crop (wider than the model's input holds, so it is read in pieces)
    image = render_lines(["Hydrochlorothiazide"], font_size=30, margin=6).image
    h, w = image.shape
    backend = open_backend(BackendConfig("cpu", {"model_path": bundled_model, "threads": 1}))
    try:
        result = Recognizer(backend).recognize(image, [(0, 0), (w, 0), (w, h), (0, h)])
    finally:
        backend.close()
    # THEN its pieces join again into one word, with one confidence per character
    assert result.timings_ms["crops"] >= 2
    assert len(result.words) == 1 and " " not in result.text
    assert len(result.confidences) == len(result.text) and len(result.text) >= 17


@pytest.mark.parametrize("clip", [0.3, 0.8])
def test_pieces_of_neighbouring_lines_are_not_read_but_a_short_last_line_is(bundled_model, clip: float) -> None:
    # GIVEN a loose region around a middle line that cuts into the lines above and below
    rendered = render_lines(
        ["Dr. Example wrote", "Metformin 500 mg BID", "MRN 000-TEST-0042 DOB"], font_size=32, line_gap=0.25
    )
    above, _, below = ([b for _, b in line] for line in rendered.lines)
    top = max(b[3] for b in above) - int(clip * (max(b[3] for b in above) - min(b[1] for b in above)))
    bottom = min(b[1] for b in below) + int(clip * (max(b[3] for b in below) - min(b[1] for b in below)))
    w = rendered.image.shape[1]
    # AND a tight region around two lines whose last holds only short letters
    tight = render_lines(["Metformin 500 mg", "one now"], font_size=32, line_gap=0.4)
    boxes = [b for line in tight.lines for _, b in line]
    x0, y0, x1, y1 = (
        min(b[0] for b in boxes) - 4,
        min(b[1] for b in boxes),
        max(b[2] for b in boxes) + 4,
        max(b[3] for b in boxes),
    )
    backend = open_backend(BackendConfig("cpu", {"model_path": bundled_model, "threads": 1}))
    try:
        reader = Recognizer(backend)
        loose = reader.recognize(rendered.image, [(0, top), (w, top), (w, bottom), (0, bottom)])
        both = reader.recognize(tight.image, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    finally:
        backend.close()
    # THEN the loose region reads only its own line, and the tight one keeps its short line
    assert loose.text == "Metformin 500 mg BID"
    assert both.text == "Metformin 500 mg\none now"


class ScriptedBackend(CountingBackend):
    """A test double: each crop, in the order read, spells the next (text, confidence)."""

    def __init__(self, script: list[tuple[str, float]]) -> None:
        super().__init__()
        self.script = list(script)

    def infer(self, batch: np.ndarray) -> np.ndarray:
        s = self.spec
        out = np.zeros((batch.shape[0], s.num_steps, s.num_classes), np.float32)
        for row in range(batch.shape[0]):
            text, conf = self.script.pop(0)
            logit = float(np.log(conf * (s.num_classes - 1) / (1 - conf)))
            for t, ch in enumerate(text):
                out[row, t, s.charset.index(ch) + 1] = logit
            out[row, len(text), s.eos_id] = 20.0
        return out


def _word_and_bar(side: str) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """A word and, against the region's ``side`` edge, a narrow stroke: a neighbour's glyph the
    lasso cut (half a line high wide, too wide for the layout's own rule)."""
    rendered = render_lines(["Project"], font_size=32, margin=60)
    page = rendered.image.copy()
    ((_, (x0, y0, x1, y1)),) = rendered.lines[0]
    h = y1 - y0
    bar_w = h // 2
    if side == "right":
        bx0 = x1 + h
        page[y0:y1, bx0 : bx0 + bar_w] = 0
        return page, [(x0 - 8, y0 - 8), (bx0 + bar_w, y0 - 8), (bx0 + bar_w, y1 + 8), (x0 - 8, y1 + 8)]
    bx1 = x0 - h
    page[y0:y1, bx1 - bar_w : bx1] = 0
    return page, [(bx1 - bar_w, y0 - 8), (x1 + 8, y0 - 8), (x1 + 8, y1 + 8), (bx1 - bar_w, y1 + 8)]


@pytest.mark.parametrize(
    ("side", "fragment", "expected"),
    [
        ("right", ("1", 0.45), "Project"),  # unsure: a piece of a glyph
        ("right", ("-", 0.99), "Project"),  # a mark fragments read as
        ("right", ("1", 0.99), "Project 1"),  # a sure character stays
        ("left", ("8", 0.3), "Project"),
        ("left", ("A", 0.95), "A Project"),
    ],
)
def test_a_one_character_word_cut_by_the_region_side_is_dropped_when_unsure(side, fragment, expected) -> None:
    page, polygon = _word_and_bar(side)
    script = [fragment, ("Project", 0.99)] if side == "left" else [("Project", 0.99), fragment]
    backend = ScriptedBackend(script)
    result = Recognizer(backend).recognize(page, polygon)
    assert not backend.script  # both were read: the layout itself kept the stroke
    assert result.text == expected


def test_a_region_of_only_a_cut_character_keeps_it() -> None:
    rendered = render_lines(["I"], font_size=32, margin=60)
    ((_, (x0, y0, x1, y1)),) = rendered.lines[0]
    backend = ScriptedBackend([("I", 0.5)])
    result = Recognizer(backend).recognize(rendered.image, [(x0, y0 - 8), (x1, y0 - 8), (x1, y1 + 8), (x0, y1 + 8)])
    assert result.text == "I"


def test_closing_punctuation_read_apart_joins_the_word_before(bundled_model) -> None:
    # GIVEN a form label whose colon stands a space away, and a dose with a spaced full stop
    rendered = render_lines(["Comments : none", "Give 5 mg ."], font_size=32)
    backend = open_backend(BackendConfig("cpu", {"model_path": bundled_model, "threads": 1}))
    try:
        result = Recognizer(backend).recognize(rendered.image, rendered.region())
    finally:
        backend.close()
    # THEN the punctuation ends the word before it, as typeset text has it
    assert result.text == "Comments: none\nGive 5 mg."
    assert len(result.confidences) == len(result.text)
