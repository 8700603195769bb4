"""Shared fixtures. Test data is generated here, never downloaded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def micro_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised parseq-micro checkpoint (seeded), written at test time."""
    torch = pytest.importorskip("torch", reason="torch (the 'train' extra) is needed to build a test model")
    from build_engine.parseq import PRESETS, PARSeq

    torch.manual_seed(0)
    model = PARSeq(PRESETS["parseq-micro"]).eval()
    path = tmp_path_factory.mktemp("micro") / "micro.pt"
    torch.save({"config": model.cfg.to_dict(), "model": model.state_dict(), "name": "micro-test", "version": "0"}, path)
    return path


@pytest.fixture(scope="session")
def micro_onnx(micro_checkpoint: Path) -> Path:
    """The micro checkpoint exported with the real export path (static Squeeze, spec metadata)."""
    from build_engine.export import export_onnx
    from build_engine.parseq import load_checkpoint

    model, _cfg, _meta = load_checkpoint(str(micro_checkpoint))
    out = micro_checkpoint.with_suffix(".onnx")
    export_onnx(model, out, name="micro-test", version="0")
    return out


@pytest.fixture(scope="session")
def tiny_onnx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A hand-made ONNX with a ModelSpec sidecar; needs no torch (fast, for back-end plumbing)."""
    from tests.fakes.tiny_models import write_tiny_model

    return write_tiny_model(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="session")
def bundled_model() -> Path:
    """The released model in resources/models, or skip when none is bundled yet."""
    from inference.models import default_model_path

    path = default_model_path()
    if path is None:
        pytest.skip("no model bundled in resources/models")
    return path


@pytest.fixture()
def real_tensorrt() -> None:
    """Skip, with the reason, unless real TensorRT and a CUDA GPU are here (tests marked ``gpu``)."""
    pytest.importorskip("tensorrt", reason="TensorRT is not installed (pip install 'notelasso[tensorrt]')")
    from inference.backends.tensorrt_engine import is_available

    ok, why = is_available()
    if not ok:
        pytest.skip(f"TensorRT back end unavailable: {why}")


@pytest.fixture(autouse=True)
def _triage_forgets_the_word_lists():
    """The triage's word lists are the app's, set once they load: each test starts without them."""
    yield
    from desktop.core.region_triage import use_words

    use_words(None)
