"""TensorRT on an NVIDIA GPU: runs a serialised plan built by ``notelasso-engine trt``.

A plan only runs on the TensorRT version and GPU model it was built for, so every plan
travels with ``<plan>.json`` (BuildInfo) and ``<plan stem>.spec.json`` (ModelSpec); both are
checked before deserialising. One engine per back end; one execution context, CUDA stream
and set of buffers per calling thread, allocated once at the profile's maximum batch.
TensorRT and cuda-python are imported only here, lazily, so the app starts without them.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import logging
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from inference.backends.base import FloatArray, check_batch, chunks
from inference.backends.hints import TENSORRT_HINT
from inference.errors import BackendUnavailableError, InputError, ModelMismatchError
from inference.spec import ModelSpec, load_spec

log = logging.getLogger(__name__)

INSTALL_HINT = TENSORRT_HINT
BUILD_INFO_FORMAT = 1


def import_tensorrt() -> Any:
    """The ``tensorrt`` module, or BackendUnavailableError carrying the install hint."""
    try:
        import tensorrt
    except (ImportError, OSError) as exc:  # OSError: package present, libnvinfer missing
        raise BackendUnavailableError("TensorRT is not installed.", hint=INSTALL_HINT) from exc
    if not hasattr(tensorrt, "Runtime"):  # the PyPI placeholder package
        raise BackendUnavailableError("Only a placeholder TensorRT package is installed.", hint=INSTALL_HINT)
    return tensorrt


def import_cudart() -> Any:
    """cuda-python's runtime bindings (new and old module paths)."""
    try:
        from cuda.bindings import runtime as cudart
    except ImportError:
        try:
            from cuda import cudart
        except ImportError as exc:
            raise BackendUnavailableError("cuda-python is not installed.", hint=INSTALL_HINT) from exc
    return cudart


def is_available() -> tuple[bool, str]:
    """(True, "") when TensorRT, cuda-python and a CUDA GPU are all present. Never raises."""
    try:
        import_tensorrt()
        cudart = import_cudart()
    except BackendUnavailableError as exc:
        return False, exc.hint or INSTALL_HINT
    try:
        err, count = cudart.cudaGetDeviceCount()
    except Exception:  # a broken driver install can fail inside the bindings  # noqa: BLE001
        return False, "no usable CUDA driver; check the NVIDIA driver with nvidia-smi"
    if int(err) != 0 or count < 1:
        return False, "no CUDA GPU found; check the NVIDIA driver with nvidia-smi"
    return True, ""


def cuda_call(cudart: Any, result: tuple[Any, ...], what: str) -> Any:
    """Check a cuda-python ``(err, *values)`` tuple; return the value (or None)."""
    err, *values = result
    if int(err) != 0:
        name = getattr(err, "name", str(err))
        raise BackendUnavailableError(
            f"The GPU refused {what} ({name}).", hint="check the NVIDIA driver with nvidia-smi"
        )
    if not values:
        return None
    return values[0] if len(values) == 1 else tuple(values)


@dataclass(frozen=True, slots=True)
class GpuInfo:
    name: str
    compute_capability: str


def gpu_info(cudart: Any, device: int) -> GpuInfo:
    cuda_call(cudart, cudart.cudaSetDevice(device), f"to select GPU {device}")
    prop = cuda_call(cudart, cudart.cudaGetDeviceProperties(device), "to describe the GPU")
    name = prop.name.decode(errors="replace") if isinstance(prop.name, bytes) else str(prop.name)
    return GpuInfo(name.split("\x00", 1)[0].strip(), f"{prop.major}.{prop.minor}")


def spec_digest(spec: ModelSpec) -> str:
    """SHA-256 of the spec as written beside every artefact; ties a plan to its spec."""
    return hashlib.sha256(spec.to_json().encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class BuildInfo:
    """What a plan was built for and from; written as ``<plan>.json`` beside it."""

    tensorrt_version: str
    gpu_name: str
    compute_capability: str
    min_batch: int
    opt_batch: int
    max_batch: int
    precision: str
    created: str
    onnx_sha256: str
    onnx_file: str
    rebuild_command: str
    spec_sha256: str = ""
    format: int = BUILD_INFO_FORMAT

    def to_json(self) -> str:
        data = asdict(self)
        data["profile"] = {"min": self.min_batch, "opt": self.opt_batch, "max": self.max_batch}
        return json.dumps(data, indent=2, sort_keys=True)

    @classmethod
    def read(cls, plan_path: Path) -> BuildInfo:
        path = build_info_path(plan_path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if int(data.get("format", 1)) > BUILD_INFO_FORMAT:
                raise ModelMismatchError(
                    f"{path.name} was written by a newer NoteLasso; rebuild the engine "
                    "with this version's notelasso-engine trt, or update NoteLasso."
                )
            return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
        except FileNotFoundError as exc:
            raise ModelMismatchError(
                f"{plan_path.name} has no build record ({path.name}); rebuild it with notelasso-engine trt."
            ) from exc
        except (ValueError, TypeError, AttributeError) as exc:
            raise ModelMismatchError(f"The build record {path.name} is malformed; rebuild the engine.") from exc


def build_info_path(plan_path: Path) -> Path:
    """``model.plan`` -> ``model.plan.json``."""
    return plan_path.with_name(plan_path.name + ".json")


def check_plan_fits(info: BuildInfo, trt_version: str, gpu: GpuInfo, plan_name: str) -> None:
    """Refuse a plan built for another TensorRT version or GPU model, saying how to rebuild."""
    found = []
    if info.tensorrt_version != trt_version:
        found.append(f"TensorRT {info.tensorrt_version}, but this machine has TensorRT {trt_version}")
    if (info.gpu_name, info.compute_capability) != (gpu.name, gpu.compute_capability):
        found.append(
            f"a {info.gpu_name} (compute {info.compute_capability}), but this machine has a "
            f"{gpu.name} (compute {gpu.compute_capability})"
        )
    if found:
        raise ModelMismatchError(
            f"The TensorRT engine {plan_name} was built for " + " and ".join(found) + ". "
            "An engine only runs on the TensorRT version and GPU model it was built on; "
            f"ask your IT administrator to rebuild it on this machine: {info.rebuild_command}"
        )


def make_trt_logger(trt: Any) -> Any:
    """A trt.ILogger forwarding to ``logging`` (TensorRT messages hold no patient data); keeps errors."""
    levels = {0: logging.CRITICAL, 1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO}

    class Forward(trt.ILogger):  # type: ignore[misc]  # tensorrt ships no types
        def __init__(self) -> None:
            trt.ILogger.__init__(self)
            self.errors: list[str] = []

        def log(self, severity: Any, msg: str) -> None:
            level = levels.get(int(severity), logging.DEBUG)
            if level >= logging.ERROR:
                self.errors.append(msg)
            log.log(level, "TensorRT: %s", msg)

    return Forward()


@dataclass(slots=True)
class _ThreadState:
    """One thread's context, stream and buffers (device + pinned host, sized for max batch)."""

    context: Any
    stream: Any
    d_input: int
    d_output: int
    h_input_ptr: int
    h_output_ptr: int
    h_input: np.ndarray
    h_output: np.ndarray
    lock: threading.Lock
    thread_id: int


class TensorRTBackend:
    """Runs a TensorRT plan on one GPU; safe to call from several threads at once."""

    is_remote = False

    def __init__(self, plan_path: Path, *, device: int = 0) -> None:
        self._closed = True  # until fully loaded, so __del__/close() on a failed load is harmless
        self._states: list[_ThreadState] = []
        self._registry_lock = threading.Lock()
        self._local = threading.local()
        self._trt = import_tensorrt()
        self._cudart = import_cudart()
        plan_path = Path(plan_path)
        if not plan_path.is_file():
            raise BackendUnavailableError(f"TensorRT engine file not found: {plan_path}")
        self.plan_path = plan_path
        self.device = device
        self.build_info = BuildInfo.read(plan_path)
        self._spec = load_spec(plan_path)
        self.gpu = gpu_info(self._cudart, device)
        check_plan_fits(self.build_info, self._trt.__version__, self.gpu, plan_path.name)
        if self.build_info.spec_sha256 and self.build_info.spec_sha256 != spec_digest(self._spec):
            raise ModelMismatchError(
                f"The model specification beside {plan_path.name} is not the one the engine was built with; "
                f"rebuild it from the matching ONNX model: {self.build_info.rebuild_command}"
            )

        self._logger = make_trt_logger(self._trt)
        self._runtime = self._trt.Runtime(self._logger)
        self._engine = self._runtime.deserialize_cuda_engine(plan_path.read_bytes())
        if self._engine is None:
            detail = self._logger.errors[-1] if self._logger.errors else "unknown reason"
            raise ModelMismatchError(
                f"TensorRT could not load {plan_path.name} ({detail}); rebuild it on this machine: "
                f"{self.build_info.rebuild_command}"
            )
        self.min_batch, self.max_batch = self._check_io()
        self.label = f"GPU (TensorRT {self._trt.__version__}, {self.gpu.name})"
        self._closed = False

    def _check_io(self) -> tuple[int, int]:
        """Check the engine's tensors against the spec; return the profile's batch bounds."""
        trt, eng, spec = self._trt, self._engine, self._spec
        names = [eng.get_tensor_name(i) for i in range(eng.num_io_tensors)]
        inputs = [n for n in names if eng.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
        outputs = [n for n in names if eng.get_tensor_mode(n) == trt.TensorIOMode.OUTPUT]
        if inputs != [spec.input_name] or outputs != [spec.output_name]:
            raise ModelMismatchError(
                f"The engine's tensors are {inputs} -> {outputs}, but its spec names "
                f"{spec.input_name} -> {spec.output_name}."
            )
        in_shape = tuple(eng.get_tensor_shape(spec.input_name))
        out_shape = tuple(eng.get_tensor_shape(spec.output_name))
        if in_shape[1:] != spec.input_shape:
            raise ModelMismatchError(f"The engine input is {in_shape}, but its spec says (N, {spec.input_shape}).")
        if len(out_shape) != 3 or out_shape[1:] != spec.output_shape:
            raise ModelMismatchError(f"The engine output is {out_shape}, but its spec says (N, {spec.output_shape}).")
        for name in (spec.input_name, spec.output_name):
            if eng.get_tensor_dtype(name) != trt.DataType.FLOAT:
                raise ModelMismatchError(
                    f"The engine tensor {name} is not float32; rebuild it with notelasso-engine trt."
                )
        lo, _opt, hi = eng.get_tensor_profile_shape(spec.input_name, 0)
        return int(lo[0]), int(hi[0])

    @property
    def spec(self) -> ModelSpec:
        return self._spec

    def _state(self) -> _ThreadState:
        state = getattr(self._local, "state", None)
        if state is None:
            state = self._new_state()
            self._local.state = state
        return state

    def _new_state(self) -> _ThreadState:
        cudart, spec, n = self._cudart, self._spec, self.max_batch
        cuda_call(cudart, cudart.cudaSetDevice(self.device), f"to select GPU {self.device}")
        in_count = n * int(np.prod(spec.input_shape))
        out_count = n * int(np.prod(spec.output_shape))
        with self._registry_lock:
            if self._closed:
                raise BackendUnavailableError("The TensorRT back end has been closed.")
            context = self._engine.create_execution_context()
            if context is None:
                raise BackendUnavailableError("TensorRT could not create an execution context (GPU memory?).")
            state = _ThreadState(
                context, None, 0, 0, 0, 0, np.empty(0), np.empty(0), threading.Lock(), threading.get_ident()
            )
            self._states.append(state)  # registered before allocating, so close() frees partial work
            state.stream = cuda_call(cudart, cudart.cudaStreamCreate(), "to create a CUDA stream")
            state.d_input = cuda_call(cudart, cudart.cudaMalloc(in_count * 4), "GPU memory for the input")
            state.d_output = cuda_call(cudart, cudart.cudaMalloc(out_count * 4), "GPU memory for the output")
            state.h_input_ptr = cuda_call(cudart, cudart.cudaMallocHost(in_count * 4), "pinned memory")
            state.h_output_ptr = cuda_call(cudart, cudart.cudaMallocHost(out_count * 4), "pinned memory")
        state.h_input = np.ctypeslib.as_array((ctypes.c_float * in_count).from_address(state.h_input_ptr)).reshape(
            (n, *spec.input_shape)
        )
        state.h_output = np.ctypeslib.as_array((ctypes.c_float * out_count).from_address(state.h_output_ptr)).reshape(
            (n, *spec.output_shape)
        )
        ok = context.set_tensor_address(spec.input_name, state.d_input)
        ok = context.set_tensor_address(spec.output_name, state.d_output) and ok
        if not ok:
            raise BackendUnavailableError("TensorRT rejected the GPU buffers for the engine's tensors.")
        log.info("TensorRT context %d ready (max batch %d)", len(self._states), n)
        return state

    def infer(self, batch: FloatArray) -> FloatArray:
        batch = check_batch(self._spec, batch)
        if self._closed:
            raise BackendUnavailableError("The TensorRT back end has been closed.")
        state = self._state()
        out = np.empty((batch.shape[0], *self._spec.output_shape), dtype=np.float32)
        with state.lock:
            if self._closed:
                raise BackendUnavailableError("The TensorRT back end has been closed.")
            for part in chunks(batch.shape[0], self.max_batch):
                out[part] = self._run(state, batch[part])
        return out

    def _run(self, state: _ThreadState, part: FloatArray) -> FloatArray:
        cudart, spec = self._cudart, self._spec
        n = part.shape[0]
        rows = max(n, self.min_batch)  # a profile with min > 1 gets zero padding
        state.h_input[:n] = part
        state.h_input[n:rows] = 0.0
        if not state.context.set_input_shape(spec.input_name, (rows, *spec.input_shape)):
            raise InputError(
                f"The engine does not accept a batch of {rows} (profile {self.min_batch}..{self.max_batch})."
            )
        out_shape = tuple(state.context.get_tensor_shape(spec.output_name))
        if out_shape != (rows, *spec.output_shape):
            raise ModelMismatchError(f"The engine would return {out_shape} for a batch of {rows}.")
        in_bytes = rows * state.h_input[0].nbytes
        out_bytes = rows * state.h_output[0].nbytes
        h2d = cudart.cudaMemcpyKind.cudaMemcpyHostToDevice
        d2h = cudart.cudaMemcpyKind.cudaMemcpyDeviceToHost
        cuda_call(
            cudart,
            cudart.cudaMemcpyAsync(state.d_input, state.h_input_ptr, in_bytes, h2d, state.stream),
            "to copy the batch",
        )
        if not state.context.execute_async_v3(int(state.stream)):
            detail = self._logger.errors[-1] if self._logger.errors else "see the log"
            raise BackendUnavailableError(f"TensorRT failed to run the engine ({detail}).")
        cuda_call(
            cudart,
            cudart.cudaMemcpyAsync(state.h_output_ptr, state.d_output, out_bytes, d2h, state.stream),
            "to copy the logits",
        )
        cuda_call(cudart, cudart.cudaStreamSynchronize(state.stream), "to finish the batch")
        return state.h_output[:n].copy()

    def close(self) -> None:
        """Free every context's buffers, streams and the engine. Idempotent."""
        registry = getattr(self, "_registry_lock", None)
        if registry is None:
            return
        with registry:
            states, self._states = self._states, []
            self._closed = True
        cudart = getattr(self, "_cudart", None)
        for state in states:
            with state.lock:  # waits for a batch in flight on another thread
                self._free(cudart, state)
        self._engine = None
        self._runtime = None

    @staticmethod
    def _free(cudart: Any, state: _ThreadState) -> None:
        if cudart is None:
            return
        state.h_input = state.h_output = np.empty(0)  # drop views of pinned memory before freeing it
        if state.stream is not None:
            cudart.cudaStreamSynchronize(state.stream)
        steps = (
            (cudart.cudaFree, "d_input"),
            (cudart.cudaFree, "d_output"),
            (cudart.cudaFreeHost, "h_input_ptr"),
            (cudart.cudaFreeHost, "h_output_ptr"),
        )
        for free, attr in steps:
            if getattr(state, attr):
                err = free(getattr(state, attr))[0]
                if int(err) != 0:
                    log.warning("Freeing TensorRT %s failed (%s)", attr, getattr(err, "name", err))
                setattr(state, attr, 0)
        if state.stream is not None:
            cudart.cudaStreamDestroy(state.stream)
            state.stream = None
        state.context = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown: modules may already be gone
            self.close()
