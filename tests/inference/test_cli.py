"""``notelasso-ocr`` as a user runs it: real processes, exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from inference.textimage import render_lines
from tests.inference.test_documents import make_pdf, write_png_header_only


def ocr(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "inference.cli", *args], capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture()
def note_png(tmp_path) -> Path:
    rendered = render_lines(["BP 128/82 HR 72", "Metformin 500 mg PO BID"], font_size=28)
    path = tmp_path / "note.png"
    Image.fromarray(rendered.image).save(path)
    return path


def test_page_json_has_text_lines_boxes_and_timings(note_png, bundled_model) -> None:
    # the bundled model: a random one's junk may read as punctuation that joins the word before it
    res = ocr("page", str(note_png), "--model", str(bundled_model), "--region", "20,20,500,200", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert len(data["lines"]) == 2
    assert [len(line["words"]) for line in data["lines"]] == [4, 5]
    assert len(data["confidences"]) == len(data["text"])
    assert data["timings_ms"]["total_ms"] > 0
    assert all(len(w["box"]) == 4 for line in data["lines"] for w in line["words"])


def test_polygon_and_pdf_page(tmp_path, micro_onnx) -> None:
    make_pdf(tmp_path / "n.pdf", pages=2)
    res = ocr(
        "page",
        str(tmp_path / "n.pdf"),
        "--page",
        "2",
        "--dpi",
        "100",
        "--model",
        str(micro_onnx),
        "--polygon",
        "50,60,400,60,400,160,50,160",
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip()  # the random test model reads *something* in the text line
    res = ocr("page", str(tmp_path / "n.pdf"), "--page", "3", "--model", str(micro_onnx))
    assert res.returncode == 2 and "2 page(s)" in res.stderr


def test_crops_prints_one_json_object(tmp_path, micro_onnx) -> None:
    for i, word in enumerate(["DATE:", "(614)", "12/10/98"]):
        Image.fromarray(render_lines([word], font_size=30, margin=6).image).save(tmp_path / f"w{i}.png")
    (tmp_path / "notes.txt").write_text("not an image")
    res = ocr("crops", str(tmp_path), "--json", "--model", str(micro_onnx))
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert sorted(data) == ["w0.png", "w1.png", "w2.png"]
    assert all(isinstance(v, str) for v in data.values())


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, int, str]]:
    zero = tmp_path / "zero.png"
    zero.write_bytes(b"")
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    huge = tmp_path / "huge.png"
    write_png_header_only(huge, 30000, 30000)
    locked = tmp_path / "locked.pdf"
    make_pdf(locked, pages=1, password="pw")
    return {
        "missing": (tmp_path / "missing.png", 3, "not found"),
        "zero-byte": (zero, 3, "empty"),
        "corrupt": (corrupt, 3, "not a readable image"),
        "huge": (huge, 3, "too large"),
        "encrypted": (locked, 3, "password"),
    }


def test_bad_input_gives_a_clear_error_and_exit_code(tmp_path, micro_onnx) -> None:
    for name, (path, code, message) in _bad_inputs(tmp_path).items():
        res = ocr("page", str(path), "--model", str(micro_onnx))
        assert res.returncode == code, (name, res.returncode, res.stderr)
        assert message in res.stderr.lower(), (name, res.stderr)
        assert "Traceback" not in res.stderr, name


def test_bad_options_and_models(tmp_path, note_png, tiny_onnx) -> None:
    res = ocr("page", str(note_png), "--model", str(tiny_onnx), "--region", "5,5,1")
    assert res.returncode == 2 and "x0,y0,x1,y1" in res.stderr
    res = ocr("page", str(note_png), "--model", str(tmp_path / "none.onnx"))
    assert res.returncode in (4, 5) and "Traceback" not in res.stderr
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"nonsense")
    res = ocr("page", str(note_png), "--model", str(junk))
    assert res.returncode == 5 and "Traceback" not in res.stderr
    res = ocr("page", str(note_png), "--backend", "tensorrt", "--plan", str(tmp_path / "x.plan"))
    assert res.returncode == 4 and "notelasso[tensorrt]" in res.stderr


def test_flags_of_another_back_end_are_refused(note_png, capsys) -> None:
    from inference.cli import main

    assert main(["page", str(note_png), "--url", "ocr.example:8001"]) == 2
    assert "--url" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["page", str(note_png), "--backend", "triton", "--timeout", "0"])
    assert info.value.code == 2 and "--timeout must be at least" in capsys.readouterr().err


def test_no_bundled_model_says_how_to_get_one(monkeypatch, note_png, capsys) -> None:
    import inference.models
    from inference.cli import main

    monkeypatch.setattr(inference.models, "default_model_path", lambda: None)
    assert main(["page", str(note_png)]) == 4
    err = capsys.readouterr().err
    assert "No recognition model is bundled" in err and "--model" in err


def test_bench_prints_latency_and_throughput(micro_onnx) -> None:
    res = ocr(
        "bench", "--model", str(micro_onnx), "--repeats", "2", "--warmup", "1", "--batch-seconds", "0.2", timeout=300
    )
    assert res.returncode == 0, res.stderr
    for label in ("one word", "one line", "paragraph (50 words)", "batch   1", "batch  32"):
        assert label in res.stdout
    assert "p95" in res.stdout
