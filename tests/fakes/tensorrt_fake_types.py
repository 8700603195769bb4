"""Value types, enums and builder-side classes of the TensorRT 10 fake (see ``tensorrt_fake``).

Module-level because they need no fake GPU: the logger, enums, Dims, IHostMemory, the network
definition, the ONNX parser and its errors, optimisation profiles, the timing cache, the INT8
calibrator bases and the builder config. ``tensorrt_fake.make_tensorrt`` adds the GPU-bound
Builder, Runtime, ICudaEngine and IExecutionContext.
"""

from __future__ import annotations

import enum
import json

import numpy as np

SUPPORTED_OPS = {
    "Add",
    "Cast",
    "Concat",
    "Constant",
    "Div",
    "Expand",
    "Gather",
    "Gemm",
    "MatMul",
    "Mul",
    "ReduceMean",
    "Relu",
    "Reshape",
    "Shape",
    "Slice",
    "Softmax",
    "Sub",
    "Tile",
    "Transpose",
    "Unsqueeze",
    "Squeeze",
    "Identity",
    "Flatten",
    "LayerNormalization",
    "Erf",
    "Sqrt",
    "Pow",
    "Where",
    "Equal",
    "ArgMax",
    "Conv",
    "Sigmoid",
    "Tanh",
}


class Severity(enum.IntEnum):
    INTERNAL_ERROR = 0
    ERROR = 1
    WARNING = 2
    INFO = 3
    VERBOSE = 4


class ILogger:
    Severity = Severity
    INTERNAL_ERROR, ERROR, WARNING, INFO, VERBOSE = tuple(Severity)

    def log(self, severity, msg):  # pragma: no cover - overridden
        raise NotImplementedError


class Logger(ILogger):
    def __init__(self, min_severity=Severity.WARNING):
        self.min_severity = min_severity
        self.fake_messages: list[tuple[Severity, str]] = []

    def log(self, severity, msg):
        self.fake_messages.append((Severity(severity), msg))


class BuilderFlag(enum.IntEnum):
    FP16 = 0
    INT8 = 1
    DEBUG = 2
    STRICT_TYPES = 5
    REFIT = 6
    TF32 = 11


class MemoryPoolType(enum.IntEnum):
    WORKSPACE = 0


class NetworkDefinitionCreationFlag(enum.IntEnum):
    EXPLICIT_BATCH = 0  # deprecated and ignored in TensorRT 10: networks are always explicit-batch
    STRONGLY_TYPED = 1


class TensorIOMode(enum.IntEnum):
    NONE = 0
    INPUT = 1
    OUTPUT = 2


class DataType(enum.IntEnum):
    FLOAT = 0
    HALF = 1
    INT8 = 2
    INT32 = 3
    BOOL = 4


class ErrorCode(enum.IntEnum):  # the ONNX parser's error codes
    SUCCESS = 0
    INTERNAL_ERROR = 1
    MEM_ALLOC_FAILED = 2
    MODEL_DESERIALIZE_FAILED = 3
    INVALID_VALUE = 4
    INVALID_GRAPH = 5
    INVALID_NODE = 6
    UNSUPPORTED_GRAPH = 7
    UNSUPPORTED_NODE = 8


def nptype(dtype):
    return {
        DataType.FLOAT: np.float32,
        DataType.HALF: np.float16,
        DataType.INT8: np.int8,
        DataType.INT32: np.int32,
        DataType.BOOL: np.bool_,
    }[dtype]


class Dims(tuple):
    """Sequence-like, compares equal to tuples; -1 marks a dynamic dimension."""


class IHostMemory(bytes):
    """Supports the buffer protocol like the real one (bytes(mem), memoryview(mem))."""

    @property
    def nbytes(self) -> int:
        return len(self)


class ITensor:
    def __init__(self, name, shape, dtype=DataType.FLOAT):
        self.name, self.shape, self.dtype = name, Dims(shape), dtype


class INetworkDefinition:
    def __init__(self, flags):
        self.flags = flags
        self._inputs: list[ITensor] = []
        self._outputs: list[ITensor] = []
        self.fake_onnx: bytes | None = None
        self.num_layers = 0

    num_inputs = property(lambda self: len(self._inputs))
    num_outputs = property(lambda self: len(self._outputs))

    def get_input(self, i):
        return self._inputs[i]

    def get_output(self, i):
        return self._outputs[i]


class ParserError:
    def __init__(self, code, desc, node=-1, node_name="", node_operator=""):
        self._code, self._desc, self._node, self._name, self._op = code, desc, node, node_name, node_operator

    def code(self):
        return self._code

    def desc(self):
        return self._desc

    def node(self):
        return self._node

    def node_name(self):
        return self._name

    def node_operator(self):
        return self._op

    def file(self):
        return "ModelImporter.cpp"

    def line(self):
        return 0

    def func(self):
        return "parseGraph"

    def __str__(self):
        return f"In node {self._node} with name: {self._name} and operator: {self._op} ({self._desc})"


class OnnxParser:
    def __init__(self, network, logger):
        self.network, self.logger = network, logger
        self._errors: list[ParserError] = []

    @property
    def num_errors(self):
        return len(self._errors)

    def get_error(self, index):
        return self._errors[index]

    def clear_errors(self):
        self._errors.clear()

    def parse(self, model, path=None):
        import onnx

        try:
            proto = onnx.load_from_string(bytes(model))
        except Exception:  # any decode failure is a parse failure, as in TensorRT  # noqa: BLE001
            self._errors.append(ParserError(ErrorCode.MODEL_DESERIALIZE_FAILED, "Failed to parse ONNX model."))
            return False
        for i, node in enumerate(proto.graph.node):
            if node.domain not in ("", "ai.onnx") or node.op_type not in SUPPORTED_OPS:
                self._errors.append(
                    ParserError(
                        ErrorCode.UNSUPPORTED_NODE,
                        f"No importer registered for op: {node.op_type}",
                        i,
                        node.name,
                        node.op_type,
                    )
                )
        if self._errors:
            return False
        init = {t.name for t in proto.graph.initializer}

        def dims(vi):
            return [d.dim_value if d.HasField("dim_value") else -1 for d in vi.type.tensor_type.shape.dim]

        net = self.network
        net._inputs = [ITensor(v.name, dims(v)) for v in proto.graph.input if v.name not in init]
        net._outputs = [ITensor(v.name, dims(v)) for v in proto.graph.output]
        net.num_layers = len(proto.graph.node)
        net.fake_onnx = bytes(model)
        return True


class IOptimizationProfile:
    def __init__(self):
        self._shapes: dict[str, tuple[Dims, Dims, Dims]] = {}

    def set_shape(self, input, min, opt, max):
        self._shapes[input] = (Dims(min), Dims(opt), Dims(max))

    def get_shape(self, input):
        return list(self._shapes.get(input, ()))

    def __bool__(self):
        return all(
            len(a) == len(b) == len(c) and all(x <= y <= z for x, y, z in zip(a, b, c))
            for a, b, c in self._shapes.values()
        )


class ITimingCache:
    """Tactic timings; a cache records the device it was measured on, as the real one does."""

    def __init__(self, entries=None, device=""):
        self.fake_entries: dict[str, str] = dict(entries or {})
        self.fake_device = device

    def serialize(self):
        data = {"device": self.fake_device, "entries": self.fake_entries}
        return IHostMemory(b"FAKETC1" + json.dumps(data, sort_keys=True).encode())

    def combine(self, other, ignore_mismatch):
        self.fake_entries.update(other.fake_entries)
        return True


class IInt8Calibrator:
    def __init__(self):
        self._fake_base_init = True

    def get_algorithm(self):
        return "ENTROPY_CALIBRATION_2"


class IInt8EntropyCalibrator2(IInt8Calibrator):
    pass


class IBuilderConfig:
    def __init__(self, logger, device=""):
        self._logger = logger
        self._device = device
        self.fake_flags: set[BuilderFlag] = set()
        self.fake_pools: dict[MemoryPoolType, int] = {}
        self.fake_profiles: list[IOptimizationProfile] = []
        self.fake_calibration_profile: IOptimizationProfile | None = None
        self._calibrator = None
        self._timing_cache: ITimingCache | None = None

    def set_flag(self, flag):
        self.fake_flags.add(BuilderFlag(flag))

    def clear_flag(self, flag):
        self.fake_flags.discard(BuilderFlag(flag))

    def get_flag(self, flag):
        return BuilderFlag(flag) in self.fake_flags

    def set_memory_pool_limit(self, pool, pool_size):
        self.fake_pools[MemoryPoolType(pool)] = int(pool_size)

    def add_optimization_profile(self, profile):
        if not profile or not profile._shapes:
            self._logger.log(Severity.ERROR, "Optimization profile is invalid.")
            return -1
        self.fake_profiles.append(profile)
        return len(self.fake_profiles) - 1

    @property
    def num_optimization_profiles(self):
        return len(self.fake_profiles)

    @property
    def int8_calibrator(self):
        return self._calibrator

    @int8_calibrator.setter
    def int8_calibrator(self, calibrator):
        if calibrator is not None and not getattr(calibrator, "_fake_base_init", False):
            raise TypeError("tensorrt.IInt8EntropyCalibrator2.__init__() must be called when overriding __init__")
        self._calibrator = calibrator

    def set_calibration_profile(self, profile):
        if not profile:
            return False
        self.fake_calibration_profile = profile
        return True

    def get_calibration_profile(self):
        return self.fake_calibration_profile

    def create_timing_cache(self, serialized_timing_cache):
        blob = bytes(serialized_timing_cache)
        if not blob:
            return ITimingCache(device=self._device)
        try:
            data = json.loads(blob[7:]) if blob.startswith(b"FAKETC1") else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self._logger.log(Severity.WARNING, "Timing cache is corrupted or incompatible; starting an empty one.")
            return ITimingCache(device=self._device)
        return ITimingCache(data.get("entries"), data.get("device", ""))

    def set_timing_cache(self, cache, ignore_mismatch):
        if cache.fake_device not in ("", self._device) and not ignore_mismatch:
            self._logger.log(
                Severity.ERROR,
                "Timing cache was created on a different device "
                f"({cache.fake_device}); set ignore_mismatch to use it anyway.",
            )
            return False
        self._timing_cache = cache
        return True

    def get_timing_cache(self):
        return self._timing_cache
