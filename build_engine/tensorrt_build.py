"""ONNX -> TensorRT plan, built on the GPU that will run it (``notelasso-engine trt``).

The ONNX file must first pass ``build_engine.onnx_check`` (no dynamic Squeeze and other
TensorRT blockers). Writes three files: ``model.plan``, ``model.spec.json`` (the ModelSpec,
copied from the ONNX sidecar) and ``model.plan.json`` (BuildInfo: TensorRT version, GPU,
profile, precision, ONNX and spec digests, the exact rebuild command). The back end refuses a
plan whose BuildInfo does not match its machine. A timing cache is loaded before and saved
after each build. TensorRT, cuda-python and Pillow are imported only when a build runs.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import shlex
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from inference.backends.tensorrt_engine import (
    BuildInfo,
    build_info_path,
    cuda_call,
    gpu_info,
    import_cudart,
    import_tensorrt,
    make_trt_logger,
    spec_digest,
)
from inference.errors import BackendUnavailableError, ExitCode, InputError, ModelMismatchError, NoteLassoError
from inference.spec import ModelSpec, load_spec, sidecar_path

log = logging.getLogger(__name__)

TIMING_CACHE_NAME = "notelasso-trt.timing-cache"


@dataclass(frozen=True, slots=True)
class TrtOptions:
    min_batch: int = 1
    opt_batch: int = 8
    max_batch: int = 64
    fp16: bool = True
    int8: bool = False
    calib_count: int = 512
    calib_batch: int = 32
    timing_cache: Path | None = None
    workspace_mb: int = 2048
    device: int = 0

    def validate(self) -> None:
        if not 1 <= self.min_batch <= self.opt_batch <= self.max_batch:
            raise InputError("Batch sizes must satisfy 1 <= --min-batch <= --opt-batch <= --max-batch.")
        if self.int8 and (self.calib_count < 1 or not self.min_batch <= self.calib_batch <= self.max_batch):
            raise InputError("--calib-count must be positive and --calib-batch within the batch range.")
        if self.workspace_mb < 64:
            raise InputError("--workspace-mb must be at least 64.")

    @property
    def precision(self) -> str:
        return "+".join(p for p, on in (("int8", self.int8), ("fp16", self.fp16)) if on) or "fp32"


def rebuild_command(onnx_path: Path, plan_path: Path, opts: TrtOptions) -> str:
    args = [
        "notelasso-engine",
        "trt",
        onnx_path.name,
        "-o",
        plan_path.name,
        "--min-batch",
        str(opts.min_batch),
        "--opt-batch",
        str(opts.opt_batch),
        "--max-batch",
        str(opts.max_batch),
        "--fp16" if opts.fp16 else "--no-fp16",
    ]
    if opts.int8:
        args += ["--int8", "--calib-count", str(opts.calib_count), "--calib-batch", str(opts.calib_batch)]
    return shlex.join(args)


def run_onnx_check(onnx_path: Path) -> None:
    """Refuse an ONNX file that ``build_engine.onnx_check`` finds problems in (dynamic Squeeze first)."""
    try:
        from build_engine.onnx_check import check_onnx
    except ModuleNotFoundError as exc:
        if exc.name != "onnx":
            raise
        raise BackendUnavailableError(
            "The ONNX check before a TensorRT build needs the onnx package.", hint="pip install 'notelasso[tensorrt]'"
        ) from exc
    try:
        report = check_onnx(onnx_path)
    except Exception as exc:  # onnx raises DecodeError and friends
        raise ModelMismatchError(
            f"{onnx_path.name} is not a readable ONNX file.", hint="re-export the model with notelasso-engine export"
        ) from exc
    if not report.ok:
        raise ModelMismatchError(
            f"{onnx_path.name} failed the ONNX check: " + "; ".join(report.problems),
            hint=f"run notelasso-engine check {onnx_path.name} and re-export",
        )


def synthetic_crops(spec: ModelSpec, count: int, *, seed: int = 0) -> np.ndarray:
    """Normalised NCHW float32 crops of random words on noisy paper, for INT8 calibration.

    Rendered here with Pillow, not by ``training`` (no torch on a build machine). The words are
    random strings from the spec's charset: synthetic, never patient data.
    """
    from PIL import Image, ImageDraw, ImageFont

    rng = np.random.default_rng(seed)
    c, h, w = spec.input_shape
    font = ImageFont.load_default()
    mean = np.asarray(spec.mean[:c], np.float32).reshape(c, 1, 1)
    std = np.asarray(spec.std[:c], np.float32).reshape(c, 1, 1)
    out = np.empty((count, c, h, w), np.float32)
    for i in range(count):
        length = int(rng.integers(1, min(spec.max_label_length, 16) + 1))
        word = "".join(rng.choice(list(spec.charset), size=length))
        paper = rng.normal(rng.uniform(200, 250), rng.uniform(2, 14), size=(h * 2, w * 2))
        img = Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8)).convert("RGB")
        ink = tuple(int(v) for v in rng.integers(0, 90, size=3))
        ImageDraw.Draw(img).text((int(rng.integers(0, 12)), int(rng.integers(0, h // 2))), word, fill=ink, font=font)
        img = img.resize((w, h), Image.Resampling.BILINEAR)
        arr = np.asarray(img.convert("RGB" if c == 3 else "L"), np.float32) / 255.0
        arr = arr.reshape(h, w, -1).transpose(2, 0, 1)
        out[i] = (arr - mean) / std
    return out


def make_calibrator(trt: Any, cudart: Any, crops: np.ndarray, batch: int, cache_path: Path | None) -> Any:
    """An IInt8EntropyCalibrator2 feeding ``crops`` in batches from one device buffer."""

    class CropCalibrator(trt.IInt8EntropyCalibrator2):
        def __init__(self) -> None:
            trt.IInt8EntropyCalibrator2.__init__(self)
            self.batch = batch
            self.crops = np.ascontiguousarray(crops[: len(crops) // batch * batch])
            self.index = 0
            self.d_batch = cuda_call(cudart, cudart.cudaMalloc(self.crops[:batch].nbytes), "GPU memory for calibration")
            self.h_ptr = cuda_call(cudart, cudart.cudaMallocHost(self.crops[:batch].nbytes), "pinned memory")
            self.stream = cuda_call(cudart, cudart.cudaStreamCreate(), "to create a CUDA stream")

        def get_batch_size(self) -> int:
            return self.batch

        def get_batch(self, names: list[str]) -> list[int] | None:
            if self.index + self.batch > len(self.crops):
                return None
            part = self.crops[self.index : self.index + self.batch]
            self.index += self.batch
            import ctypes

            ctypes.memmove(self.h_ptr, part.ctypes.data, part.nbytes)
            kind = cudart.cudaMemcpyKind.cudaMemcpyHostToDevice
            cuda_call(
                cudart,
                cudart.cudaMemcpyAsync(self.d_batch, self.h_ptr, part.nbytes, kind, self.stream),
                "to copy a calibration batch",
            )
            cuda_call(cudart, cudart.cudaStreamSynchronize(self.stream), "to finish a calibration copy")
            return [int(self.d_batch)]

        def read_calibration_cache(self) -> bytes | None:
            return cache_path.read_bytes() if cache_path and cache_path.is_file() else None

        def write_calibration_cache(self, cache: Any) -> None:
            if cache_path:
                _atomic_write(cache_path, bytes(cache))

        def free(self) -> None:
            for fn, ptr in ((cudart.cudaFree, self.d_batch), (cudart.cudaFreeHost, self.h_ptr)):
                fn(ptr)
            cudart.cudaStreamDestroy(self.stream)

    return CropCalibrator()


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _use_timing_cache(config: Any, cache_path: Path) -> bytes:
    """Load the timing cache into ``config`` (an empty one if absent or unusable); return the bytes read."""
    blob = cache_path.read_bytes() if cache_path.is_file() else b""
    cache = config.create_timing_cache(blob)
    if blob and (cache is None or not config.set_timing_cache(cache, False)):
        log.warning("Timing cache %s does not fit this TensorRT/GPU; starting a new one", cache_path.name)
        blob, cache = b"", config.create_timing_cache(b"")
    if cache is not None and not blob:
        config.set_timing_cache(cache, False)
    return blob


def parser_errors(parser: Any) -> list[str]:
    """One line per ONNX parser error: node index, operator and name, description, code."""
    lines = []
    for i in range(parser.num_errors):
        err = parser.get_error(i)
        code = getattr(err.code(), "name", err.code())
        node = int(err.node())
        where = f"node {node}" if node >= 0 else "model"
        name = err.node_name() if hasattr(err, "node_name") else ""  # nodeName/nodeOperator: TensorRT >= 10.0
        op = err.node_operator() if hasattr(err, "node_operator") else ""
        if name or op:
            where += f" ({op} {name!r})" if name else f" ({op})"
        lines.append(f"{where}: {err.desc()} [{code}]")
    return lines


def _parse(trt: Any, builder: Any, logger: Any, onnx_path: Path) -> tuple[Any, Any]:
    """Parse the ONNX file into a new network; return (network, parser): the parser owns the weights."""
    network = builder.create_network(0)  # TensorRT 10: always explicit batch
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(onnx_path.read_bytes(), str(onnx_path)):
        lines = parser_errors(parser) or ["unknown parser error"]
        raise ModelMismatchError(
            f"TensorRT cannot read {onnx_path.name} ({len(lines)} error(s)):\n" + "\n".join(f"  - {x}" for x in lines),
            hint="run notelasso-engine check on it, then re-export with notelasso-engine export",
        )
    return network, parser


def build_plan(onnx_path: Path, plan_path: Path, opts: TrtOptions) -> BuildInfo:
    """Build ``plan_path`` from ``onnx_path`` on this machine's GPU; return what was recorded."""
    opts.validate()
    onnx_path, plan_path = Path(onnx_path), Path(plan_path)
    if not onnx_path.is_file():
        raise InputError(f"ONNX model not found: {onnx_path}")
    run_onnx_check(onnx_path)  # before anything else: a dynamic Squeeze is refused even without TensorRT
    spec = load_spec(onnx_path)
    trt, cudart = import_tensorrt(), import_cudart()
    gpu = gpu_info(cudart, opts.device)
    logger = make_trt_logger(trt)
    builder = trt.Builder(logger)
    network, _parser = _parse(trt, builder, logger, onnx_path)
    inputs = {network.get_input(i).name: tuple(network.get_input(i).shape) for i in range(network.num_inputs)}
    outputs = {network.get_output(i).name for i in range(network.num_outputs)}
    shape = inputs.get(spec.input_name)
    if set(inputs) != {spec.input_name} or spec.output_name not in outputs:
        raise ModelMismatchError(
            f"The ONNX tensors are {sorted(inputs)} -> {sorted(outputs)}, but its spec names "
            f"{spec.input_name} -> {spec.output_name}."
        )
    if shape is None or shape[0] != -1 or shape[1:] != spec.input_shape:
        raise ModelMismatchError(
            f"The ONNX input is {shape}; TensorRT needs (dynamic batch, {spec.input_shape}).",
            hint="re-export with a dynamic batch axis",
        )

    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, opts.workspace_mb << 20)
    profile = builder.create_optimization_profile()
    dims = spec.input_shape
    profile.set_shape(spec.input_name, (opts.min_batch, *dims), (opts.opt_batch, *dims), (opts.max_batch, *dims))
    if config.add_optimization_profile(profile) < 0:
        raise InputError("TensorRT rejected the batch profile.")
    if opts.fp16:
        config.set_flag(trt.BuilderFlag.FP16)
    calibrator = None
    if opts.int8:
        config.set_flag(trt.BuilderFlag.INT8)
        calib_profile = builder.create_optimization_profile()
        cal = (opts.calib_batch, *dims)
        calib_profile.set_shape(spec.input_name, cal, cal, cal)
        config.set_calibration_profile(calib_profile)
        log.info("Rendering %d synthetic crops for INT8 calibration", opts.calib_count)
        crops = synthetic_crops(spec, max(opts.calib_count, opts.calib_batch))
        calib_cache = plan_path.with_name(plan_path.name + ".calib")
        calibrator = make_calibrator(trt, cudart, crops, opts.calib_batch, calib_cache)
        config.int8_calibrator = calibrator

    plan_path.parent.mkdir(parents=True, exist_ok=True)
    cache_path = opts.timing_cache or plan_path.with_name(TIMING_CACHE_NAME)
    blob = _use_timing_cache(config, cache_path)
    log.info(
        "Building %s for %s (%s), batch %d/%d/%d, %s; timing cache %s (%d bytes)",
        plan_path.name,
        gpu.name,
        gpu.compute_capability,
        opts.min_batch,
        opts.opt_batch,
        opts.max_batch,
        opts.precision,
        cache_path,
        len(blob),
    )
    try:
        serialized = builder.build_serialized_network(network, config)
    finally:
        if calibrator is not None:
            calibrator.free()
    if serialized is None:
        detail = logger.errors[-1] if logger.errors else "see the log above"
        raise NoteLassoError(f"TensorRT could not build an engine from {onnx_path.name}: {detail}")
    cache = config.get_timing_cache()
    if cache is not None:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(cache_path, bytes(cache.serialize()))
    _atomic_write(plan_path, bytes(serialized))
    if sidecar_path(plan_path).resolve() != sidecar_path(onnx_path).resolve():
        _atomic_write(sidecar_path(plan_path), spec.to_json().encode())
    info = BuildInfo(
        tensorrt_version=trt.__version__,
        gpu_name=gpu.name,
        compute_capability=gpu.compute_capability,
        min_batch=opts.min_batch,
        opt_batch=opts.opt_batch,
        max_batch=opts.max_batch,
        precision=opts.precision,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        onnx_sha256=hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        onnx_file=onnx_path.name,
        rebuild_command=rebuild_command(onnx_path, plan_path, opts),
        spec_sha256=spec_digest(spec),
    )
    _atomic_write(build_info_path(plan_path), info.to_json().encode())
    return info


def add_trt_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``notelasso-engine trt``."""
    parser.add_argument("onnx", type=Path, help="exported PARSeq ONNX model (with its .spec.json beside it)")
    parser.add_argument("-o", "--output", type=Path, help="plan file to write (default: the ONNX name with .plan)")
    parser.add_argument("--min-batch", type=int, default=1, help="smallest batch the engine accepts (default 1)")
    parser.add_argument("--opt-batch", type=int, default=8, help="batch TensorRT tunes for (default 8)")
    parser.add_argument("--max-batch", type=int, default=64, help="largest batch (default 64)")
    parser.add_argument("--fp16", action=argparse.BooleanOptionalAction, default=True, help="allow FP16 kernels")
    parser.add_argument("--int8", action="store_true", help="INT8 with entropy calibration on synthetic crops")
    parser.add_argument("--calib-count", type=int, default=512, help="synthetic crops for INT8 calibration")
    parser.add_argument("--calib-batch", type=int, default=32, help="calibration batch size (default 32)")
    parser.add_argument(
        "--timing-cache",
        type=Path,
        help="timing cache to load and update (default: notelasso-trt.timing-cache beside the plan)",
    )
    parser.add_argument("--workspace-mb", type=int, default=2048, help="builder workspace limit in MiB")
    parser.add_argument("--device", type=int, default=0, help="CUDA device index (default 0)")


def run_trt(args: argparse.Namespace) -> int:
    """Entry point for ``notelasso-engine trt``: builds and prints a summary.

    Errors propagate as NoteLassoError; ``build_engine.cli.main`` maps them to exit codes
    (missing TensorRT: BackendUnavailableError, exit code 4, with the install hint).
    """
    opts = TrtOptions(
        min_batch=args.min_batch,
        opt_batch=args.opt_batch,
        max_batch=args.max_batch,
        fp16=args.fp16,
        int8=args.int8,
        calib_count=args.calib_count,
        calib_batch=args.calib_batch,
        timing_cache=args.timing_cache,
        workspace_mb=args.workspace_mb,
        device=args.device,
    )
    plan = args.output or Path(args.onnx).with_suffix(".plan")
    info = build_plan(args.onnx, plan, opts)
    print(
        f"wrote {plan} (TensorRT {info.tensorrt_version}, {info.gpu_name}, compute {info.compute_capability}, "
        f"{info.precision}, batch {info.min_batch}/{info.opt_batch}/{info.max_batch})"
    )
    return ExitCode.OK
