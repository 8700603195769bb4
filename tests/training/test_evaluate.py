"""``notelasso-train eval`` on a FUNSD-shaped folder made from rendered text with known boxes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from inference.errors import DocumentError
from inference.textimage import render_lines
from training.cli import main as train_main
from training.evaluate import evaluate_funsd
from training.funsd import sample_word_crops, sample_words

LINES = ["Patient seen today for review", "Metformin 500 mg twice daily", "Follow up in 3 weeks"]


@pytest.fixture()
def funsd_like(tmp_path: Path) -> Path:
    """Two forms in FUNSD's layout (images/*.png, annotations/*.json with word boxes)."""
    root = tmp_path / "funsd"
    (root / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    for form, lines in (("f1", LINES[:2]), ("f2", [*LINES[2:], "Résumé"])):
        rendered = render_lines(lines, font_size=26)
        Image.fromarray(rendered.image).save(root / "images" / f"{form}.png")
        words = [{"text": word, "box": list(box)} for line in rendered.lines for word, box in line]
        words.append({"text": "", "box": [0, 0, 5, 5]})  # FUNSD has empty labels: skipped
        (root / "annotations" / f"{form}.json").write_text(json.dumps({"form": [{"words": words}]}))
    return root


def test_sampling_words_and_crops_gives_the_same_words(funsd_like: Path) -> None:
    from inference.spec import PARSEQ_CHARSET

    words = sample_words(funsd_like, 7, seed=3, charset=PARSEQ_CHARSET)
    pairs = sample_word_crops(funsd_like, 7, seed=3, charset=PARSEQ_CHARSET)
    assert [w.text for w in words] == [t for _, t in pairs]
    assert all((w.crop == c).all() for w, (c, _) in zip(words, pairs))
    everything = sample_words(funsd_like, None, charset=PARSEQ_CHARSET)
    assert len(everything) == sum(len(line.split()) for line in LINES)  # "Résumé" is outside the charset


def test_eval_reads_crops_and_lassoed_words_with_the_bundled_model(funsd_like: Path, bundled_model: Path) -> None:
    report = evaluate_funsd(funsd_like, model=bundled_model, threads=1, tesseract=False)
    assert report["words"] == 15
    # Clean print: the released model reads nearly all of it, both ways.
    assert report["notelasso"]["exact"] >= 0.8, report["table"]
    assert report["notelasso_lassoed"]["exact"] >= 0.8, report["table"]
    assert "NoteLasso (lassoed)" in report["table"]


def test_eval_cli_prints_json_and_refuses_a_folder_that_is_not_funsd(
    funsd_like: Path, tmp_path: Path, micro_onnx: Path, capsys
) -> None:
    assert (
        train_main(
            [
                "eval",
                "--funsd",
                str(funsd_like),
                "--model",
                str(micro_onnx),
                "--no-tesseract",
                "-n",
                "5",
                "--json",
                "--threads",
                "1",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["words"] == 5 and set(report) >= {"notelasso", "notelasso_lassoed", "table"}
    with pytest.raises(DocumentError):
        evaluate_funsd(tmp_path / "nowhere", tesseract=False)
    assert train_main(["eval", "--funsd", str(tmp_path / "nowhere"), "--no-tesseract"]) != 0
    assert "no annotations" in capsys.readouterr().err
