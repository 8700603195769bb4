"""Write a Triton model repository for an exported NoteLasso model.

Layout (``<repo>/<model_name>/``)::

    config.pbtxt            tensors, dims, max_batch_size, dynamic batching, instance group,
                            and the ModelSpec JSON as parameter "notelasso.spec"
    notelasso.spec.json     the same ModelSpec, for people and tools reading the folder
    1/model.onnx            --platform onnxruntime_onnx (and python)
    1/model.py              --platform python: ONNX Runtime on the CPU (CPU-only Triton, tests)
    1/model.plan            --platform tensorrt_plan (built with ``notelasso-engine trt``)

The client fetches the spec over gRPC with ``ModelConfig`` (``get_model_config``): the
``parameters`` map of the config is part of that answer, whereas files in the model folder are
not reachable through the inference protocol. Tensor names and dims are taken from the spec;
no constant is restated here.
"""

from __future__ import annotations

import argparse
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from inference.errors import ExitCode, InputError, ModelMismatchError
from inference.spec import METADATA_KEY, ModelSpec, load_spec

PLATFORMS = ("onnxruntime_onnx", "tensorrt_plan", "python")
CPU_THREADS_KEY = "notelasso.cpu_threads"
SPEC_FILE = "notelasso.spec.json"


@dataclass(frozen=True, slots=True)
class RepoOptions:
    model_name: str = "notelasso_parseq"
    platform: str = "onnxruntime_onnx"
    max_batch_size: int = 64
    preferred_batch_sizes: tuple[int, ...] = (8, 16, 32)
    max_queue_delay_us: int = 1000
    dynamic_batching: bool = True  # off: each request runs alone (the baseline setup to compare with)
    instances: int = 1
    instance_kind: str = "auto"  # auto | cpu | gpu
    cpu_threads: int = 2  # python platform: ONNX Runtime intra-op threads

    def validate(self) -> None:
        if self.platform not in PLATFORMS:
            raise InputError(f"--platform must be one of {', '.join(PLATFORMS)}.")
        if self.max_batch_size < 1:
            raise InputError("--max-batch-size must be at least 1.")
        if any(b < 1 or b > self.max_batch_size for b in self.preferred_batch_sizes):
            raise InputError("--preferred-batch-sizes must lie between 1 and --max-batch-size.")
        if self.max_queue_delay_us < 0 or self.instances < 1 or self.cpu_threads < 1:
            raise InputError("queue delay must be >= 0, instances and threads >= 1.")
        if self.instance_kind not in ("auto", "cpu", "gpu"):
            raise InputError("--instance-kind must be auto, cpu or gpu.")
        if not self.model_name or not all(c.isalnum() or c in "_-." for c in self.model_name):
            raise InputError("--model-name may hold letters, digits, '_', '-' and '.' only.")

    @property
    def kind(self) -> str:
        if self.instance_kind == "cpu" or (self.instance_kind == "auto" and self.platform == "python"):
            return "KIND_CPU"
        if self.instance_kind == "gpu" or self.platform == "tensorrt_plan":
            return "KIND_GPU"
        return "KIND_AUTO"


def pbtxt_string(text: str) -> str:
    """A protobuf text-format string literal (double-quoted, escaped, ASCII only)."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif 32 <= code < 127:
            out.append(ch)
        else:
            out.append("".join(f"\\{b:03o}" for b in ch.encode("utf-8")))
    return '"' + "".join(out) + '"'


def _dims(shape: tuple[int, ...]) -> str:
    return "[ " + ", ".join(str(d) for d in shape) + " ]"


def render_config(spec: ModelSpec, opts: RepoOptions) -> str:
    """config.pbtxt text for ``spec`` under ``opts``."""
    opts.validate()
    if spec.dtype != "float32":
        raise ModelMismatchError(f"Only float32 models can be served, the spec says {spec.dtype}.")
    head = 'backend: "python"' if opts.platform == "python" else f'platform: "{opts.platform}"'
    spec_json = json.dumps(spec.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    lines = [
        f"# NoteLasso {spec.name} {spec.version}; written by notelasso-engine triton-repo",
        f"name: {pbtxt_string(opts.model_name)}",
        head,
        f"max_batch_size: {opts.max_batch_size}",
        "input [",
        f"  {{ name: {pbtxt_string(spec.input_name)} data_type: TYPE_FP32 dims: {_dims(spec.input_shape)} }}",
        "]",
        "output [",
        f"  {{ name: {pbtxt_string(spec.output_name)} data_type: TYPE_FP32 dims: {_dims(spec.output_shape)} }}",
        "]",
        *(
            [
                "dynamic_batching {",
                f"  preferred_batch_size: {_dims(tuple(sorted(set(opts.preferred_batch_sizes))))}",
                f"  max_queue_delay_microseconds: {opts.max_queue_delay_us}",
                "}",
            ]
            if opts.dynamic_batching
            else []
        ),
        "instance_group [",
        f"  {{ count: {opts.instances} kind: {opts.kind} }}",
        "]",
        "version_policy: { latest: { num_versions: 1 } }",
        "parameters [",
        f"  {{ key: {pbtxt_string(METADATA_KEY)} value: {{ string_value: {pbtxt_string(spec_json)} }} }}",
    ]
    if opts.platform == "python":
        lines[-1] += ","
        lines.append(f'  {{ key: {pbtxt_string(CPU_THREADS_KEY)} value: {{ string_value: "{opts.cpu_threads}" }} }}')
    lines.append("]")
    return "\n".join(lines) + "\n"


def _check_onnx(model_path: Path, spec: ModelSpec) -> None:
    """The ONNX tensors must match the spec and have a dynamic batch axis."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        sess = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's own exception types
        raise ModelMismatchError(f"{model_path.name} could not be loaded by ONNX Runtime.") from exc
    inputs = {i.name: i.shape for i in sess.get_inputs()}
    outputs = {o.name: o.shape for o in sess.get_outputs()}
    if spec.input_name not in inputs or spec.output_name not in outputs:
        raise ModelMismatchError(
            f"The model's tensors are {sorted(inputs)} -> {sorted(outputs)}, "
            f"but its spec names {spec.input_name} -> {spec.output_name}."
        )
    for name, shape, want in (
        (spec.input_name, inputs[spec.input_name], spec.input_shape),
        (spec.output_name, outputs[spec.output_name], spec.output_shape),
    ):
        if list(shape[1:]) != list(want):
            raise ModelMismatchError(f"Tensor {name} is {shape}, but the spec says (N, {want}).")
        if isinstance(shape[0], int):
            raise ModelMismatchError(
                f"Tensor {name} has a fixed batch of {shape[0]}; Triton batching needs "
                "a dynamic batch axis (re-export with notelasso-engine export)."
            )


def write_repository(
    model_path: Path,
    repo: Path,
    opts: RepoOptions | None = None,
    *,
    spec: ModelSpec | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``<repo>/<model_name>`` for ``model_path`` (.onnx, or .plan for tensorrt_plan).

    The spec is read from the model's sidecar/metadata unless given. Returns the model folder.
    """
    opts = opts or RepoOptions()
    opts.validate()
    model_path = Path(model_path)
    if not model_path.is_file():
        raise InputError(f"No such model file: {model_path}")
    want_suffix = ".plan" if opts.platform == "tensorrt_plan" else ".onnx"
    if model_path.suffix != want_suffix:
        raise InputError(f"--platform {opts.platform} needs a {want_suffix} model, got {model_path.name}.")
    spec = spec or load_spec(model_path)
    if want_suffix == ".onnx":
        _check_onnx(model_path, spec)
    config = render_config(spec, opts)
    folder = Path(repo) / opts.model_name
    if folder.exists():
        if not overwrite:
            raise InputError(f"{folder} exists; pass --overwrite to replace it.")
        shutil.rmtree(folder)
    version = folder / "1"
    version.mkdir(parents=True)
    (folder / "config.pbtxt").write_text(config, encoding="utf-8")
    (folder / SPEC_FILE).write_text(spec.to_json() + "\n", encoding="utf-8")
    shutil.copy2(model_path, version / f"model{want_suffix}")
    if opts.platform == "python":
        shutil.copy2(Path(__file__).with_name("triton_python_model.py"), version / "model.py")
    return folder


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = RepoOptions()
    p.add_argument(
        "model",
        type=Path,
        help="exported model: .onnx (onnxruntime_onnx, python) or .plan (tensorrt_plan) with its .spec.json sidecar",
    )
    p.add_argument("-o", "--repo", type=Path, required=True, help="model repository folder (created if needed)")
    p.add_argument("--model-name", default=d.model_name, help="model name on the server (default: %(default)s)")
    p.add_argument(
        "--platform",
        choices=PLATFORMS,
        default=None,
        help="default: tensorrt_plan for .plan, onnxruntime_onnx for .onnx; "
        "python = ONNX Runtime on the CPU inside Triton's Python back end",
    )
    p.add_argument(
        "--max-batch-size",
        type=int,
        default=d.max_batch_size,
        help="largest batch the server forms (a TensorRT plan's profile must allow it)",
    )
    p.add_argument(
        "--preferred-batch-sizes",
        default=",".join(map(str, d.preferred_batch_sizes)),
        help="dynamic batching preferred sizes, comma-separated (default: %(default)s)",
    )
    p.add_argument(
        "--max-queue-delay-us",
        type=int,
        default=d.max_queue_delay_us,
        help="how long a request may wait for others to join its batch (default: %(default)s)",
    )
    p.add_argument(
        "--no-dynamic-batching",
        action="store_true",
        help="serve each request alone (a baseline for benchmarks; not for production)",
    )
    p.add_argument("--instances", type=int, default=d.instances, help="model instances (default: %(default)s)")
    p.add_argument("--instance-kind", choices=("auto", "cpu", "gpu"), default=d.instance_kind)
    p.add_argument(
        "--cpu-threads",
        type=int,
        default=d.cpu_threads,
        help="(python) ONNX Runtime threads per instance (default: %(default)s)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing model folder")


def options_from_args(args: argparse.Namespace) -> RepoOptions:
    platform = args.platform or ("tensorrt_plan" if Path(args.model).suffix == ".plan" else "onnxruntime_onnx")
    try:
        preferred = tuple(int(v) for v in str(args.preferred_batch_sizes).split(",") if v.strip())
    except ValueError as exc:
        raise InputError("--preferred-batch-sizes must be comma-separated integers.") from exc
    return RepoOptions(
        model_name=args.model_name,
        platform=platform,
        max_batch_size=args.max_batch_size,
        preferred_batch_sizes=preferred,
        max_queue_delay_us=args.max_queue_delay_us,
        dynamic_batching=not args.no_dynamic_batching,
        instances=args.instances,
        instance_kind=args.instance_kind,
        cpu_threads=args.cpu_threads,
    )


def run(args: argparse.Namespace) -> int:
    opts = options_from_args(args)
    folder = write_repository(args.model, args.repo, opts, overwrite=args.overwrite)
    print(
        f"wrote {folder} ({opts.platform}, max batch {opts.max_batch_size}); serve it with "
        f"tritonserver --model-repository={Path(args.repo).resolve()}"
    )
    return ExitCode.OK
