"""Model repository generation (no server): config.pbtxt, layout, spec round trip, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from build_engine.triton_repo import (
    CPU_THREADS_KEY,
    SPEC_FILE,
    RepoOptions,
    pbtxt_string,
    render_config,
    write_repository,
)
from inference.errors import InputError, ModelMismatchError
from inference.spec import METADATA_KEY, ModelSpec
from tests.fakes.tiny_models import write_tiny_model


def parse_config(text: str):
    """Parse with Triton's own protobuf schema (the one the server uses)."""
    pytest.importorskip("tritonclient.grpc", reason="tritonclient is needed to parse config.pbtxt")
    from google.protobuf import text_format
    from tritonclient.grpc import model_config_pb2

    return text_format.Parse(text, model_config_pb2.ModelConfig())


def test_config_names_dims_and_batching_come_from_the_spec() -> None:
    # GIVEN a spec with non-default names and sizes
    spec = ModelSpec(input_name="pixels", output_name="scores", input_width=100, max_label_length=30)
    opts = RepoOptions(
        model_name="ocr",
        platform="onnxruntime_onnx",
        max_batch_size=48,
        preferred_batch_sizes=(16, 8),
        max_queue_delay_us=250,
        instances=2,
    )
    # WHEN the config is rendered and parsed by Triton's schema
    cfg = parse_config(render_config(spec, opts))
    # THEN everything the server needs follows the spec and the options
    assert cfg.name == "ocr" and cfg.platform == "onnxruntime_onnx" and cfg.max_batch_size == 48
    assert [(i.name, list(i.dims)) for i in cfg.input] == [("pixels", [3, 32, 100])]
    assert [(o.name, list(o.dims)) for o in cfg.output] == [("scores", [31, 95])]
    assert cfg.input[0].data_type == cfg.output[0].data_type == 11  # TYPE_FP32
    assert list(cfg.dynamic_batching.preferred_batch_size) == [8, 16]
    assert cfg.dynamic_batching.max_queue_delay_microseconds == 250
    group = cfg.instance_group[0]
    assert group.count == 2 and type(group).Kind.Name(group.kind) == "KIND_AUTO"
    assert ModelSpec.from_json(cfg.parameters[METADATA_KEY].string_value) == spec


def test_baseline_config_without_dynamic_batching() -> None:
    cfg = parse_config(render_config(ModelSpec(), RepoOptions(dynamic_batching=False)))
    assert not cfg.HasField("dynamic_batching") and cfg.max_batch_size == 64


def test_spec_with_quotes_and_backslashes_survives_pbtxt() -> None:
    spec = ModelSpec(name='odd "name" \\ é', charset='ab"\\c\u00e9')
    cfg = parse_config(render_config(spec, RepoOptions()))
    back = ModelSpec.from_json(cfg.parameters[METADATA_KEY].string_value)
    assert back == spec and back.charset == 'ab"\\c\u00e9'


@pytest.mark.parametrize(
    ("platform", "head", "kind"),
    [
        ("python", 'backend: "python"', "KIND_CPU"),
        ("tensorrt_plan", 'platform: "tensorrt_plan"', "KIND_GPU"),
        ("onnxruntime_onnx", 'platform: "onnxruntime_onnx"', "KIND_AUTO"),
    ],
)
def test_platform_variants(platform: str, head: str, kind: str) -> None:
    text = render_config(ModelSpec(), RepoOptions(platform=platform))
    assert head in text and kind in text
    assert (CPU_THREADS_KEY in text) == (platform == "python")


def test_pbtxt_string_escapes() -> None:
    assert pbtxt_string('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    assert pbtxt_string("é") == '"\\303\\251"'


@pytest.mark.parametrize(
    "opts",
    [
        RepoOptions(max_batch_size=0),
        RepoOptions(preferred_batch_sizes=(128,)),
        RepoOptions(platform="tf"),
        RepoOptions(model_name="bad/name"),
        RepoOptions(instances=0),
    ],
)
def test_bad_options_are_input_errors(opts: RepoOptions) -> None:
    with pytest.raises(InputError):
        render_config(ModelSpec(), opts)


def test_python_repository_layout(tiny_onnx: Path, tmp_path: Path) -> None:
    folder = write_repository(tiny_onnx, tmp_path / "repo", RepoOptions(model_name="m", platform="python"))
    assert folder == tmp_path / "repo" / "m"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "1/model.onnx",
        "1/model.py",
        "config.pbtxt",
        SPEC_FILE,
    ]
    assert ModelSpec.from_json((folder / SPEC_FILE).read_text()) == ModelSpec()
    with pytest.raises(InputError, match="exists"):
        write_repository(tiny_onnx, tmp_path / "repo", RepoOptions(model_name="m", platform="python"))
    write_repository(tiny_onnx, tmp_path / "repo", RepoOptions(model_name="m"), overwrite=True)
    assert not (folder / "1" / "model.py").exists()


def test_onnx_that_disagrees_with_its_spec_is_refused(tmp_path: Path) -> None:
    onnx_path = write_tiny_model(tmp_path / "m", spec=ModelSpec(max_label_length=30))
    with pytest.raises(ModelMismatchError, match="spec"):
        write_repository(onnx_path, tmp_path / "repo", spec=ModelSpec())


def test_fixed_batch_onnx_is_refused(tmp_path: Path) -> None:
    onnx_path = write_tiny_model(tmp_path / "m", batch=1)
    with pytest.raises(ModelMismatchError, match="dynamic batch"):
        write_repository(onnx_path, tmp_path / "repo")


def test_tensorrt_platform_needs_a_plan(tiny_onnx: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\.plan"):
        write_repository(tiny_onnx, tmp_path / "repo", RepoOptions(platform="tensorrt_plan"))


def test_tensorrt_plan_is_copied_with_its_spec(tmp_path: Path) -> None:
    plan = tmp_path / "model.plan"
    plan.write_bytes(b"not a real plan")
    plan.with_suffix(".spec.json").write_text(ModelSpec(version="7").to_json())
    folder = write_repository(plan, tmp_path / "repo", RepoOptions(platform="tensorrt_plan"))
    assert (folder / "1" / "model.plan").read_bytes() == b"not a real plan"
    assert json.loads((folder / SPEC_FILE).read_text())["version"] == "7"


def test_engine_cli_writes_the_repository(tiny_onnx: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from build_engine.cli import main

    rc = main(
        [
            "triton-repo",
            str(tiny_onnx),
            "-o",
            str(tmp_path / "repo"),
            "--platform",
            "python",
            "--max-batch-size",
            "16",
            "--preferred-batch-sizes",
            "4,8",
            "--model-name",
            "nl",
        ]
    )
    assert rc == 0
    text = (tmp_path / "repo" / "nl" / "config.pbtxt").read_text()
    assert "max_batch_size: 16" in text and "preferred_batch_size: [ 4, 8 ]" in text
    assert main(["triton-repo", str(tiny_onnx), "-o", str(tmp_path / "repo"), "--model-name", "nl"]) == 2
    assert "exists" in capsys.readouterr().err
