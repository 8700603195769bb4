"""A fake of the part of the TensorRT 10 Python API (``import tensorrt``, 10.0-10.x) NoteLasso uses.

Faithful in what the calling code can observe:
- names and signatures: Builder/create_network/create_builder_config/create_optimization_profile,
  OnnxParser.parse/num_errors/get_error (ParserError.code/desc/node/node_name/node_operator),
  IOptimizationProfile.set_shape, IBuilderConfig.set_flag/set_memory_pool_limit/
  add_optimization_profile/int8_calibrator/set_calibration_profile/create_timing_cache/
  set_timing_cache/get_timing_cache, build_serialized_network -> IHostMemory or None,
  Runtime.deserialize_cuda_engine -> ICudaEngine or None, the name-based IO tensor API,
  IExecutionContext.set_input_shape/set_tensor_address/get_tensor_shape/execute_async_v3;
- failure modes: failures come back as False / None / -1 with a message to the Logger, not
  exceptions; set_input_shape outside the profile returns False; a dynamic network without a
  profile, or INT8 calibration with dynamic shapes but no calibration profile, fails the build;
  a plan from another TensorRT version or compute capability, or a truncated one, does not
  deserialise (None); a timing cache from another device is refused by set_timing_cache (False)
  unless ignore_mismatch;
  execute_async_v3 fails with unset shapes or addresses, or buffers too small for the shapes;
- asynchrony: execution is queued on the cuda fake's stream and happens at synchronise.

Not faithful (cannot be): no kernels, tactics or real FP16/INT8 arithmetic. The engine runs
the embedded ONNX with onnxruntime; FP16 builds round inputs and outputs through float16.
Host pointers given to set_tensor_address make execute fail here; on a GPU they would fault.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import types
from typing import Any

import numpy as np

from tests.fakes.tensorrt_fake_types import (
    SUPPORTED_OPS,
    BuilderFlag,
    DataType,
    Dims,
    ErrorCode,
    IBuilderConfig,
    IHostMemory,
    IInt8Calibrator,
    IInt8EntropyCalibrator2,
    ILogger,
    INetworkDefinition,
    IOptimizationProfile,
    ITensor,
    ITimingCache,
    Logger,
    MemoryPoolType,
    NetworkDefinitionCreationFlag,
    OnnxParser,
    ParserError,
    Severity,
    TensorIOMode,
    nptype,
)

__all__ = ["PLAN_MAGIC", "SUPPORTED_OPS", "make_tensorrt"]

PLAN_MAGIC = b"FAKETRT1"


def make_tensorrt(cudart, *, version: str = "10.3.0") -> types.ModuleType:
    """A fresh fake ``tensorrt`` module that runs on the cuda fake's ``fake_gpu``."""
    gpu = cudart.fake_gpu
    mod: Any = types.ModuleType("tensorrt")
    mod.__doc__ = __doc__
    mod.__version__ = version
    for obj in (
        Logger,
        ILogger,
        BuilderFlag,
        MemoryPoolType,
        NetworkDefinitionCreationFlag,
        TensorIOMode,
        DataType,
        ErrorCode,
        Dims,
        IHostMemory,
        ITensor,
        INetworkDefinition,
        ParserError,
        OnnxParser,
        IOptimizationProfile,
        ITimingCache,
        IInt8Calibrator,
        IInt8EntropyCalibrator2,
        IBuilderConfig,
        nptype,
    ):
        setattr(mod, obj.__name__, obj)
    mod.fake_builds = []  # one dict of stats per build_serialized_network call

    class Builder:
        def __init__(self, logger):
            self.logger = logger

        platform_has_fast_fp16 = property(lambda self: gpu.major >= 6)

        def create_network(self, flags=0):
            return INetworkDefinition(flags)

        def create_builder_config(self):
            return IBuilderConfig(self.logger, f"{gpu.name}/{gpu.compute_capability}")

        def create_optimization_profile(self):
            return IOptimizationProfile()

        def _fail(self, msg):
            self.logger.log(Severity.ERROR, msg)
            return None

        def build_serialized_network(self, network, config):
            if network.fake_onnx is None or network.num_inputs == 0:
                return self._fail("Network must have at least one input.")
            dynamic = [t for t in network._inputs if -1 in t.shape]
            if dynamic and not config.fake_profiles:
                return self._fail("Network has dynamic or shape inputs, but no optimization profile has been defined.")
            for prof in config.fake_profiles:
                for t in network._inputs:
                    if t.name not in prof._shapes:
                        return self._fail(f"Optimization profile is missing values for input {t.name}.")
                    for dims in prof._shapes[t.name]:
                        if len(dims) != len(t.shape) or any(s not in (-1, d) for s, d in zip(t.shape, dims)):
                            return self._fail(
                                f"Profile dimensions {tuple(dims)} disagree with input {t.name}{tuple(t.shape)}."
                            )
            int8 = BuilderFlag.INT8 in config.fake_flags
            stats = {"calibration_batches": 0, "cache_hits": 0, "cache_misses": 0}
            if int8:
                calib = config.int8_calibrator
                if calib is None:
                    return self._fail("Calibrator is not being used. Users must provide dynamic range for all tensors.")
                if dynamic and config.fake_calibration_profile is None:
                    return self._fail("Calibration profile must be set when calibrating a network with dynamic shapes.")
                cached = calib.read_calibration_cache()
                if not cached:
                    names = [t.name for t in network._inputs]
                    opt = config.fake_calibration_profile._shapes[names[0]][1] if dynamic else network._inputs[0].shape
                    nbytes = int(np.prod(opt)) * 4
                    while True:
                        ptrs = calib.get_batch(names)
                        if not ptrs:
                            break
                        if len(ptrs) != len(names) or gpu.device_span(int(ptrs[0]), nbytes) is None:
                            return self._fail("Calibration batch is not a device buffer of the calibration shape.")
                        stats["calibration_batches"] += 1
                    if stats["calibration_batches"] == 0:
                        return self._fail("Calibration failure occurred with no scaling factors detected.")
                    calib.write_calibration_cache(memoryview(b"FAKECALIB"))
            cache = config.get_timing_cache()
            key = hashlib.sha256(
                network.fake_onnx
                + repr(sorted(config.fake_flags)).encode()
                + f"{gpu.name}{gpu.compute_capability}".encode()
            ).hexdigest()
            if cache is not None:
                if key in cache.fake_entries:
                    stats["cache_hits"] += network.num_layers
                else:
                    stats["cache_misses"] += network.num_layers
                    cache.fake_entries[key] = "tactics"
            mod.fake_builds.append(stats)
            profiles = [{n: [list(d) for d in s] for n, s in p._shapes.items()} for p in config.fake_profiles]
            blob = {
                "version": version,
                "cc": gpu.compute_capability,
                "gpu": gpu.name,
                "inputs": [[t.name, list(t.shape)] for t in network._inputs],
                "outputs": [[t.name, list(t.shape)] for t in network._outputs],
                "profiles": profiles,
                "fp16": BuilderFlag.FP16 in config.fake_flags,
                "int8": int8,
                "onnx": base64.b64encode(network.fake_onnx).decode(),
            }
            return IHostMemory(PLAN_MAGIC + json.dumps(blob).encode())

    class IExecutionContext:
        def __init__(self, engine):
            self.engine = engine
            self._shapes: dict[str, Dims] = {}
            self._addresses: dict[str, int] = {}
            self.fake_threads: set[int] = set()

        def set_input_shape(self, name, shape):
            self.fake_threads.add(threading.get_ident())
            eng = self.engine
            if eng.get_tensor_mode(name) != TensorIOMode.INPUT:
                self.engine._logger.log(Severity.ERROR, f"{name} is not an input tensor.")
                return False
            lo, _, hi = eng.get_tensor_profile_shape(name, 0)
            shape = Dims(shape)
            if len(shape) != len(lo) or any(not (a <= s <= b) for a, s, b in zip(lo, shape, hi)):
                eng._logger.log(
                    Severity.ERROR,
                    f"setInputShape: {tuple(shape)} is outside the profile [{tuple(lo)}, {tuple(hi)}] of {name}.",
                )
                return False
            self._shapes[name] = shape
            return True

        def get_tensor_shape(self, name):
            eng = self.engine
            if eng.get_tensor_mode(name) == TensorIOMode.INPUT:
                return self._shapes.get(name, eng.get_tensor_shape(name))
            shape = list(eng.get_tensor_shape(name))
            if all(n in self._shapes for n in eng._input_names):
                shape[0] = self._shapes[eng._input_names[0]][0]
            return Dims(shape)

        @property
        def all_input_dimensions_specified(self):
            return all(n in self._shapes for n in self.engine._input_names)

        def set_tensor_address(self, name, memory):
            if self.engine.get_tensor_mode(name) == TensorIOMode.NONE or not int(memory):
                return False
            self._addresses[name] = int(memory)
            return True

        def get_tensor_address(self, name):
            return self._addresses.get(name, 0)

        def execute_async_v3(self, stream_handle):
            self.fake_threads.add(threading.get_ident())
            eng, log = self.engine, self.engine._logger.log
            queue = gpu.streams.get(int(stream_handle))
            if queue is None:
                log(Severity.ERROR, "Invalid CUDA stream.")
                return False
            if not self.all_input_dimensions_specified:
                log(Severity.ERROR, "Not all input dimensions are specified.")
                return False
            spans = {}
            for name in eng._names:
                if name not in self._addresses:
                    log(Severity.ERROR, f"Address of tensor {name} is not set.")
                    return False
                nbytes = int(np.prod(self.get_tensor_shape(name))) * 4
                span = gpu.device_span(self._addresses[name], nbytes)
                if span is None:
                    log(Severity.ERROR, f"Tensor {name} is not a device buffer of {nbytes} bytes (illegal address).")
                    return False
                spans[name] = (span, nbytes, self.get_tensor_shape(name))

            def run():
                feeds = {}
                for name in eng._input_names:
                    (buf, off), nbytes, shape = spans[name]
                    arr = np.frombuffer(bytes(buf[off : off + nbytes]), np.float32).reshape(shape)
                    feeds[name] = arr.astype(np.float16).astype(np.float32) if eng._fp16 else arr
                outs = eng._session().run(eng._output_names, feeds)
                for name, out in zip(eng._output_names, outs):
                    (buf, off), nbytes, _ = spans[name]
                    out = out.astype(np.float16) if eng._fp16 else out
                    buf[off : off + nbytes] = np.ascontiguousarray(out, np.float32).tobytes()

            queue.append(run)
            return True

    class ICudaEngine:
        def __init__(self, blob, logger):
            self._logger = logger
            self._blob = blob
            self._input_names = [n for n, _ in blob["inputs"]]
            self._output_names = [n for n, _ in blob["outputs"]]
            self._names = self._input_names + self._output_names
            self._shapes = {n: Dims(s) for n, s in blob["inputs"] + blob["outputs"]}
            self._fp16 = blob["fp16"]
            self._sess = None
            self._lock = threading.Lock()
            self.fake_contexts: list[IExecutionContext] = []

        def _session(self):
            with self._lock:
                if self._sess is None:
                    import onnxruntime as ort

                    opts = ort.SessionOptions()
                    opts.intra_op_num_threads = 1
                    opts.inter_op_num_threads = 1
                    self._sess = ort.InferenceSession(
                        base64.b64decode(self._blob["onnx"]), opts, providers=["CPUExecutionProvider"]
                    )
                return self._sess

        num_io_tensors = property(lambda self: len(self._names))
        num_optimization_profiles = property(lambda self: len(self._blob["profiles"]))
        device_memory_size = property(lambda self: 1 << 20)

        def get_tensor_name(self, index):
            return self._names[index]

        def get_tensor_mode(self, name):
            if name in self._input_names:
                return TensorIOMode.INPUT
            return TensorIOMode.OUTPUT if name in self._output_names else TensorIOMode.NONE

        def get_tensor_shape(self, name):
            return self._shapes.get(name, Dims())

        def get_tensor_dtype(self, name):
            return DataType.FLOAT

        def get_tensor_profile_shape(self, name, profile_index):
            prof = self._blob["profiles"][profile_index]
            return [Dims(d) for d in prof[name]]

        def create_execution_context(self):
            ctx = IExecutionContext(self)
            self.fake_contexts.append(ctx)
            return ctx

    class Runtime:
        def __init__(self, logger):
            self.logger = logger

        def deserialize_cuda_engine(self, serialized_engine):
            data = bytes(serialized_engine)
            if not data.startswith(PLAN_MAGIC):
                self.logger.log(Severity.ERROR, "Serialization assertion failed: magic tag does not match.")
                return None
            try:
                blob = json.loads(data[len(PLAN_MAGIC) :])
                blob["version"], blob["cc"], blob["gpu"]  # a truncated plan lacks them
            except (ValueError, KeyError, TypeError):
                self.logger.log(Severity.ERROR, "Serialization assertion failed: the plan is truncated or corrupt.")
                return None
            if blob["version"] != version:
                self.logger.log(
                    Severity.ERROR,
                    "The engine plan file is not compatible with this version of "
                    f"TensorRT, expecting library version {version} got {blob['version']}.",
                )
                return None
            if blob["cc"] != gpu.compute_capability:
                self.logger.log(
                    Severity.ERROR,
                    f"The engine plan file is generated on an incompatible device, "
                    f"expecting compute {gpu.compute_capability} got compute {blob['cc']}.",
                )
                return None
            if blob["gpu"] != gpu.name:
                self.logger.log(
                    Severity.WARNING,
                    "Using an engine plan file across different models of devices "
                    "is not recommended and is likely to affect performance or even cause errors.",
                )
            return ICudaEngine(blob, self.logger)

    mod.Builder = Builder
    mod.Runtime = Runtime
    mod.ICudaEngine = ICudaEngine
    mod.IExecutionContext = IExecutionContext
    return mod
