"""The region benchmark: FUNSD entities read whole, scored as a reviewer would score them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from inference.errors import DocumentError
from inference.textimage import render_lines
from training.cli import main as train_main
from training.evaluate import evaluate_regions
from training.regions import _count_lines, _join_detections, iter_regions, sample_regions, score_regions

LINES = ["Patient seen today for review", "Metformin 500 mg twice daily", "Follow up in 3 weeks"]


@pytest.fixture()
def funsd_entities(tmp_path: Path) -> Path:
    """A FUNSD-shaped folder: one entity per line, and one entity spanning two lines."""
    root = tmp_path / "funsd"
    (root / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    rendered = render_lines(LINES, font_size=26)
    Image.fromarray(rendered.image).save(root / "images" / "f1.png")
    form = []
    for line in rendered.lines[:2]:
        words = [{"text": w, "box": list(b)} for w, b in line]
        form.append({"text": " ".join(w for w, _ in line), "words": words, "box": _union([b for _, b in line])})
    two = [(w, b) for line in rendered.lines[1:] for w, b in line]
    form.append(
        {"text": "", "words": [{"text": w, "box": list(b)} for w, b in two], "box": _union([b for _, b in two])}
    )
    form.append({"text": "☐", "words": [{"text": "☐", "box": [0, 0, 9, 9]}], "box": [0, 0, 9, 9]})
    (root / "annotations" / "f1.json").write_text(json.dumps({"form": form}))
    return root


def _union(boxes):
    return [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]


def test_regions_are_whole_entities_with_their_line_count(funsd_entities: Path) -> None:
    regions = list(iter_regions(funsd_entities))
    assert [r.text for r in regions] == [LINES[0], LINES[1], f"{LINES[1]} {LINES[2]}"]  # no "☐"
    assert [r.lines for r in regions] == [1, 1, 2]
    picks = [[(r.text, r.box) for r in sample_regions(funsd_entities, 2, seed=1)] for _ in range(2)]
    assert picks[0] == picks[1] and len(picks[0]) == 2
    assert _count_lines([[0, 0, 10, 10], [12, 0, 20, 10], [0, 14, 10, 24]]) == 2


def test_scores_count_characters_and_words_of_whitespace_normalised_text() -> None:
    scores = score_regions(["Follow  up\nin 3 weeks", "BP 12B/82", ""], ["Follow up in 3 weeks", "BP 128/82", "HR 72"])
    assert scores.count == 3 and scores.exact == pytest.approx(1 / 3)
    assert scores.cer == pytest.approx((0 + 1 + 5) / (20 + 9 + 5))
    assert scores.wer == pytest.approx((0 + 1 + 2) / (5 + 2 + 2))
    with pytest.raises(ValueError):
        score_regions(["a"], [])


def test_detections_join_in_reading_order() -> None:
    import numpy as np

    def box(x, y):
        return np.array([[x, y], [x + 40, y], [x + 40, y + 10], [x, y + 10]], float)

    assert _join_detections([box(60, 31), box(0, 0), box(0, 30), box(60, 1)], ["d", "a", "c", "b"]) == "a b c d"


def test_region_eval_reads_every_entity_with_the_bundled_model(funsd_entities: Path, bundled_model: Path) -> None:
    report = evaluate_regions(funsd_entities, model=bundled_model, threads=1, tesseract=False, others=False)
    ((_name, row),) = report["readers"].items()
    assert report["regions"] == 3 and report["multi_line"] == 1
    assert row["all"]["cer"] <= 0.05, report["table"]  # clean print, read as the app reads a lasso
    assert row["multi_line"]["count"] == 1 and "\n" not in " ".join(row["texts"][2].split())


def test_region_eval_cli(funsd_entities: Path, tmp_path: Path, micro_onnx: Path, capsys) -> None:
    assert (
        train_main(
            [
                "eval",
                "--regions",
                str(funsd_entities),
                "--model",
                str(micro_onnx),
                "--model",
                str(micro_onnx),
                "--no-tesseract",
                "--json",
                "--threads",
                "1",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["regions"] == 3 and "FUNSD regions: 3" in report["table"]
    # each --model is a row of the same run (other installed engines, e.g. PP-OCR, add their own rows)
    assert sum(name.startswith("NoteLasso") for name in report["readers"]) == 2
    # --no-others leaves the other engines out: NoteLasso's rows only
    argv = ["eval", "--regions", str(funsd_entities), "--model", str(micro_onnx), "--no-tesseract", "--no-others"]
    assert train_main([*argv, "--json", "--threads", "1"]) == 0
    names = list(json.loads(capsys.readouterr().out)["readers"])
    assert len(names) == 1 and names[0].startswith("NoteLasso")
    with pytest.raises(DocumentError):
        evaluate_regions(tmp_path / "nowhere", tesseract=False)
