"""``notelasso-train eval --triage``: a small run over a FUNSD-shaped folder of rendered text and
a few generated note lines, read by the real model."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from desktop.core.checks import run_checks
from inference.models import default_model_path
from inference.spec import load_spec
from inference.textimage import render_lines
from training.cli import main as train_main
from training.clinical_notes import note_lines, plant
from training.triage_data import align_to_truth, forgiven_words
from training.triage_eval import WordRow, at_least, share, threshold_for
from training.triage_signals import fit_temperature, signals_from_logits

LINES = ["Metformin 500 mg twice daily", "Follow up in 3 weeks", "BP 128/82 HR 76"]

needs_model = pytest.mark.skipif(default_model_path() is None, reason="no bundled model")


@pytest.fixture()
def funsd_like(tmp_path: Path) -> Path:
    """One form in FUNSD's layout: each rendered line is an entity with its box and words."""
    root = tmp_path / "funsd"
    (root / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    rendered = render_lines(LINES, font_size=26)
    Image.fromarray(rendered.image).save(root / "images" / "f1.png")
    entities = []
    for line in rendered.lines:
        words = [{"text": word, "box": list(box)} for word, box in line]
        boxes = np.asarray([box for _, box in line])
        box = [int(boxes[:, 0].min()), int(boxes[:, 1].min()), int(boxes[:, 2].max()), int(boxes[:, 3].max())]
        entities.append({"box": box, "text": " ".join(word for word, _ in line), "words": words})
    (root / "annotations" / "f1.json").write_text(json.dumps({"form": entities}))
    return root


def test_shares_and_thresholds() -> None:
    rows = [WordRow("a", True, {"s": 0.9}), WordRow("b", False, {"s": 0.5}), WordRow("c", False, {"s": 0.1})]
    flagged, recall = share(rows, at_least("s", 0.5))
    assert flagged == pytest.approx(2 / 3) and recall == 1.0
    t = threshold_for(rows, "s", 0.34)
    flagged, recall = share(rows, at_least("s", t))
    assert flagged == pytest.approx(1 / 3) and recall == 1.0


def test_predicted_words_are_judged_against_the_aligned_truth() -> None:
    assert align_to_truth(["Metformin", "5O0", "mg"], ["Metformin", "500", "mg"]) == [False, True, False]
    assert align_to_truth(["Follow", "up", "extra"], ["Follow", "up"]) == [False, False, True]


@pytest.mark.parametrize(
    ("pred", "truth", "forgiven"),
    [
        (["3/30/81"], ["3", "/30", "/81"], [True]),  # FUNSD's spacing round punctuation
        (["Date", ":"], ["Date:"], [True, True]),
        (["(308-21)"], ["(308", "-21)"], [True]),
        (["in", "or"], ["or", "in"], [True, True]),  # FUNSD's word order
        (["ofthe"], ["of", "the"], [False]),  # a space missed between letters: a real misreading
        (["3/3O/81"], ["3", "/30", "/81"], [False]),  # a misread character is never forgiven
        (["Metformin", "5O0"], ["Metformin", "500"], [False, False]),  # right words need no forgiving
    ],
)
def test_only_funsd_spacing_grouping_and_order_are_forgiven(
    pred: list[str], truth: list[str], forgiven: list[bool]
) -> None:
    assert forgiven_words(pred, truth, align_to_truth(pred, truth)) == forgiven


def test_temperature_fit_prefers_sharper_logits_when_the_model_is_underconfident() -> None:
    model = default_model_path()
    if model is None:
        pytest.skip("no bundled model")
    spec = load_spec(model)
    logits = np.zeros((20, spec.max_label_length + 1, len(spec.charset) + 1), np.float32)
    truths = []
    for n in range(20):  # every word read right, but with a low logit margin
        text = "ab"
        truths.append(text)
        for k, c in enumerate(text):
            logits[n, k, spec.charset.index(c) + 1] = 2.0
        logits[n, len(text), spec.eos_id] = 2.0
    t, nll = fit_temperature(logits, truths, spec)
    assert t < 1.0 and nll[t] < nll[1.0]
    (sig, *_) = signals_from_logits(logits, logits, spec, t)
    assert sig.text == "ab" and not sig.refine_disagrees
    assert min(sig.calibrated) > min(sig.raw)


def test_every_planted_misreading_is_caught_by_a_check() -> None:
    # GIVEN generated note lines and a misreading planted in every line that holds a value
    rng = random.Random(3)
    planted = 0
    for line in note_lines(120, seed=3):
        spot = plant(line, rng)
        if spot is None:
            continue
        words = list(line.words)
        assert run_checks(" ".join(words), document_years=[2024, 2024]) == [], words  # the truth is clean
        words[spot[0]] = spot[1]
        text = " ".join(words)
        # WHEN the checks run over the misread line THEN the planted word is flagged
        flags = run_checks(text, document_years=[int(line.words[2][-4:])] * 2 if line.kind == "date" else [])
        start = sum(len(w) + 1 for w in words[: spot[0]])
        assert any(f.start < start + len(spot[1]) and start < f.end for f in flags), (spot, text)
        planted += 1
    assert planted > 50


@needs_model
def test_a_small_triage_run_prints_each_signal_and_the_planted_errors(
    funsd_like: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = train_main(
        ["eval", "--triage", str(funsd_like), "--words", "6", "-n", "2", "--notes", "12",
         "--calibration-words", "8", "--threads", "1"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    for needle in (
        "Temperature",
        "Generated clinical notes: 81 words",
        "FUNSD word crops: 6 words",
        "FUNSD regions (2, lassoed",
        "min char confidence (today, T=1)",
        "refinement disagrees with first pass",
        "TRIAGE SCORE, no second reader",
        "max of risks, no second reader (decision 021)",
        "forgiving FUNSD's spacing",
        "planted wrong",
    ):
        assert needle in out, needle


def test_triage_refuses_a_folder_that_is_not_funsd(tmp_path: Path) -> None:
    assert train_main(["eval", "--triage", str(tmp_path), "--notes", "0", "--words", "0", "-n", "0"]) == 3
