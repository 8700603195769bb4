"""Command-line values: every number bounded (exit 2), regions as typed, model checks with the README's codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from build_engine.cli import main as engine_main
from inference.cli import attach_dash_values, build_parser
from inference.cli import main as ocr_main
from inference.errors import ExitCode
from inference.preprocess import crop_polygon, filled_area
from inference.textimage import render_lines


@pytest.fixture()
def note_png(tmp_path: Path) -> Path:
    rendered = render_lines(["BP 128/82 HR 72"], font_size=28)
    path = tmp_path / "note.png"
    Image.fromarray(rendered.image).save(path)
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["page", "NOTE", "--dpi", "-72"], "--dpi must be at least 72"),
        (["page", "NOTE", "--dpi", "0"], "--dpi must be at least 72"),
        (["page", "NOTE", "--dpi", "100000"], "--dpi must be at most 600"),
        (["page", "NOTE", "--page", "0"], "--page must be at least 1"),
        (["page", "NOTE", "--page", "-2"], "--page must be at least 1"),
        (["page", "NOTE", "--threads", "-3"], "--threads must be at least 0"),
        (["page", "NOTE", "--batch-size", "0"], "--batch-size must be at least 1"),
        (["bench", "--repeats", "0"], "--repeats must be at least 1"),
        (["bench", "--warmup", "-1"], "--warmup must be at least 0"),
        (["bench", "--batch-seconds", "0"], "--batch-seconds must be at least 0.1"),
        (["bench", "--seconds", "-5"], "--seconds must be at least 0.1"),
        (["bench", "--users", "0,8"], "--users needs whole numbers from 1 to 1024"),
    ],
)
def test_every_number_is_bounded_with_a_clear_message(
    note_png: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as info:
        ocr_main([str(note_png) if a == "NOTE" else a for a in args])
    assert info.value.code == ExitCode.INPUT
    assert message in capsys.readouterr().err


def test_an_empty_region_is_refused(note_png: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ocr_main(["page", str(note_png), "--region", ""]) == ExitCode.INPUT
    assert "x0,y0,x1,y1" in capsys.readouterr().err
    assert ocr_main(["page", str(note_png), "--polygon="]) == ExitCode.INPUT


def test_negative_coordinates_parse_without_an_equals_sign() -> None:
    argv = ["page", "n.png", "--region", "-5,10,200,40", "--page", "1"]
    assert attach_dash_values(argv) == ["page", "n.png", "--region=-5,10,200,40", "--page", "1"]
    args = build_parser().parse_args(attach_dash_values(argv))
    assert args.region == "-5,10,200,40" and args.page == 1 and args.dpi == 200
    args = build_parser().parse_args(attach_dash_values(["page", "n.png", "--polygon", "-5,-5,90,0,40,60"]))
    assert args.polygon == "-5,-5,90,0,40,60"


def test_a_region_with_negative_coordinates_is_read(note_png: Path, tiny_onnx: Path, capsys) -> None:
    assert ocr_main(["page", str(note_png), "--model", str(tiny_onnx), "--region", "-5,-3,200,40", "--json"]) == 0
    assert "text" in json.loads(capsys.readouterr().out)


def test_a_bow_tie_lasso_is_read_as_the_outline_it_draws(note_png: Path, tiny_onnx: Path, capsys) -> None:
    # GIVEN a lasso that crosses itself (a bow-tie), whose shoelace area cancels to zero
    bow = [(10.0, 10.0), (200.0, 60.0), (200.0, 10.0), (10.0, 60.0)]
    assert filled_area(bow) > 4000
    # THEN it is cut out as both lobes, not refused as "too small"
    crop = crop_polygon(np.full((100, 300), 230, np.uint8), bow, deskew=False)
    assert crop.image.shape == (50, 190)
    polygon = ",".join(f"{v:g}" for p in bow for v in p)
    assert ocr_main(["page", str(note_png), "--model", str(tiny_onnx), "--polygon", polygon]) == 0, capsys.readouterr()
    # AND a lasso that really is a sliver still is
    with pytest.raises(Exception, match="too small"):
        crop_polygon(np.full((100, 300), 230, np.uint8), [(10, 10), (200, 10), (10, 10.01)])


def _onnx_with_spec(path: Path, height: int) -> Path:
    import onnx
    from onnx import TensorProto, helper

    from inference.spec import METADATA_KEY, ModelSpec

    spec = ModelSpec()
    x = helper.make_tensor_value_info("images", TensorProto.FLOAT, ["N", spec.channels, height, spec.input_width])
    y = helper.make_tensor_value_info("out", TensorProto.FLOAT, ["N", spec.channels, height, spec.input_width])
    graph = helper.make_graph([helper.make_node("Identity", ["images"], ["out"])], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.metadata_props.add(key=METADATA_KEY, value=spec.to_json())
    onnx.save(model, str(path))
    return path


def test_engine_check_exits_with_the_readme_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from inference.spec import ModelSpec

    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    good = _onnx_with_spec(tmp_path / "good.onnx", ModelSpec().input_height)
    wrong = _onnx_with_spec(tmp_path / "wrong.onnx", ModelSpec().input_height + 8)
    assert engine_main(["check", str(tmp_path / "missing.onnx")]) == ExitCode.DOCUMENT
    assert engine_main(["check", str(tmp_path)]) == ExitCode.INPUT
    assert engine_main(["check", str(junk)]) == ExitCode.MODEL_MISMATCH
    assert engine_main(["check", str(wrong)]) == ExitCode.MODEL_MISMATCH
    assert engine_main(["check", str(good)]) == ExitCode.OK
    err = capsys.readouterr().err
    assert "not found" in err and "folder" in err and "not a readable ONNX model" in err and "spec says" in err
