"""The spec inside the ONNX file and its ``.spec.json`` sidecar must agree, or the model is refused."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from inference.backends.onnxruntime_cpu import OnnxRuntimeBackend
from inference.errors import ExitCode, ModelMismatchError
from inference.spec import PARSEQ_CHARSET, ModelSpec, load_spec, sidecar_path
from tests.fakes.tiny_models import write_tiny_model

REORDERED = PARSEQ_CHARSET[10:] + PARSEQ_CHARSET[:10]  # same characters, same shapes, other order


def test_matching_sidecar_and_metadata_load(tmp_path) -> None:
    path = write_tiny_model(tmp_path)
    assert load_spec(path) == ModelSpec()
    OnnxRuntimeBackend(path).close()


def test_reordered_charset_in_the_sidecar_is_refused(tmp_path) -> None:
    path = write_tiny_model(tmp_path, sidecar=replace(ModelSpec(), charset=REORDERED))
    with pytest.raises(ModelMismatchError, match="charset"):
        load_spec(path)
    with pytest.raises(ModelMismatchError, match="charset"):
        OnnxRuntimeBackend(path)


def test_other_fields_that_differ_are_named(tmp_path) -> None:
    path = write_tiny_model(tmp_path, sidecar=replace(ModelSpec(), mean=(0.4, 0.4, 0.4), version="9"))
    with pytest.raises(ModelMismatchError, match=r"mean.*version"):
        load_spec(path)


def test_a_model_without_a_parseq_spec_inside_is_refused(tmp_path) -> None:
    # GIVEN an ONNX model with matching shapes and a sidecar, but no NoteLasso spec in its metadata
    path = write_tiny_model(tmp_path, has_metadata=False)
    # THEN it is refused clearly: the sidecar alone does not make it a PARSeq model
    with pytest.raises(ModelMismatchError, match="no NoteLasso model specification in its metadata"):
        load_spec(path)
    with pytest.raises(ModelMismatchError):
        OnnxRuntimeBackend(path)
    sidecar_path(path).unlink()
    with pytest.raises(ModelMismatchError):
        load_spec(path)


def test_metadata_alone_is_enough(tmp_path) -> None:
    path = write_tiny_model(tmp_path)
    sidecar_path(path).unlink()
    assert load_spec(path) == ModelSpec()


def test_bundled_model_and_its_sidecar_agree(bundled_model: Path) -> None:
    spec = load_spec(bundled_model)
    assert spec == ModelSpec.from_json(sidecar_path(bundled_model).read_text(encoding="utf-8"))


def test_cli_exits_5_on_a_disagreeing_sidecar(tmp_path) -> None:
    path = write_tiny_model(tmp_path, sidecar=replace(ModelSpec(), charset=REORDERED))
    Image.new("L", (200, 60), 255).save(tmp_path / "blank.png")
    proc = subprocess.run(
        [sys.executable, "-m", "inference.cli", "page", str(tmp_path / "blank.png"), "--model", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == ExitCode.MODEL_MISMATCH, proc.stderr
    assert "charset" in proc.stderr and "Traceback" not in proc.stderr
