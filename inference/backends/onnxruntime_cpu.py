"""The embedded default: ONNX Runtime on the CPU."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from inference.backends.base import FloatArray, check_batch, chunks
from inference.backends.hints import CPU_HINT
from inference.errors import BackendUnavailableError, ModelMismatchError
from inference.spec import ModelSpec, load_spec

log = logging.getLogger(__name__)


def is_available() -> tuple[bool, str]:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False, CPU_HINT
    return True, ""


def default_threads() -> int:
    return max(1, min(8, os.cpu_count() or 1))


class OnnxRuntimeBackend:
    """Runs an exported PARSeq ONNX model on the CPU, tuned for low latency."""

    is_remote = False

    def __init__(self, model_path: Path, *, threads: int | None = None, max_batch: int = 64) -> None:
        ok, hint = is_available()
        if not ok:
            raise BackendUnavailableError("ONNX Runtime is not installed.", hint=hint)
        import onnxruntime as ort

        model_path = Path(model_path)
        if not model_path.is_file():
            raise BackendUnavailableError(f"Model file not found: {model_path}")
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.intra_op_num_threads = threads or default_threads()
        opts.inter_op_num_threads = 1
        opts.add_session_config_entry("session.intra_op.allow_spinning", "1")
        opts.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime's own exception types
            raise ModelMismatchError(f"{model_path.name} could not be loaded by ONNX Runtime.") from exc
        # The spec inside the model (its sidecar must agree with it), read from this session.
        self._spec = load_spec(model_path, metadata=dict(self._session.get_modelmeta().custom_metadata_map))
        self._check_io()
        self.max_batch = max_batch
        self.threads = opts.intra_op_num_threads
        self.label = f"CPU (ONNX Runtime, {self.threads} threads)"
        self.model_path = model_path

    def _check_io(self) -> None:
        spec = self._spec
        inputs = {i.name: i for i in self._session.get_inputs()}
        outputs = {o.name: o for o in self._session.get_outputs()}
        if spec.input_name not in inputs or spec.output_name not in outputs:
            raise ModelMismatchError(
                f"The model's tensors are {sorted(inputs)} -> {sorted(outputs)}, "
                f"but its spec names {spec.input_name} -> {spec.output_name}."
            )
        shape = inputs[spec.input_name].shape
        if list(shape[1:]) != list(spec.input_shape):
            raise ModelMismatchError(f"The model input is {shape}, but its spec says (N, {spec.input_shape}).")
        out_shape = outputs[spec.output_name].shape
        if len(out_shape) != 3 or list(out_shape[1:]) != list(spec.output_shape):
            raise ModelMismatchError(f"The model output is {out_shape}, but its spec says (N, {spec.output_shape}).")

    @property
    def spec(self) -> ModelSpec:
        return self._spec

    def infer(self, batch: FloatArray) -> FloatArray:
        batch = check_batch(self._spec, batch)
        parts = [
            self._session.run([self._spec.output_name], {self._spec.input_name: batch[s]})[0]
            for s in chunks(batch.shape[0], self.max_batch)
        ]
        return np.concatenate(parts, axis=0).astype(np.float32, copy=False)

    def close(self) -> None:
        self._session = None
