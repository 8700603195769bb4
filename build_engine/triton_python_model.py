"""Triton Python-backend model: runs the NoteLasso ONNX model with ONNX Runtime on the CPU.

``notelasso-engine triton-repo --platform python`` copies this file to ``<model>/1/model.py``
beside ``model.onnx``. It is what serves on a CPU-only Triton (and in tests/triton/). The server
merges queued requests (dynamic batching); ``execute`` runs them as one ONNX batch and splits
the logits back per request. Tensor names come from the model config, so nothing is restated.
Nothing here logs tensor contents.
"""

from __future__ import annotations

import json
import os

import numpy as np


class TritonPythonModel:
    def initialize(self, args: dict) -> None:
        import onnxruntime as ort

        config = json.loads(args["model_config"])
        self.input_name = config["input"][0]["name"]
        self.output_name = config["output"][0]["name"]
        params = {k: v.get("string_value", "") for k, v in config.get("parameters", {}).items()}
        threads = int(params.get("notelasso.cpu_threads") or 1)
        folder = os.path.join(args["model_repository"], args["model_version"])
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(
            os.path.join(folder, "model.onnx"), opts, providers=["CPUExecutionProvider"]
        )

    def execute(self, requests: list) -> list:
        import triton_python_backend_utils as pb_utils

        arrays, sizes, responses = [], [], []
        for request in requests:
            tensor = pb_utils.get_input_tensor_by_name(request, self.input_name)
            array = tensor.as_numpy()
            arrays.append(array)
            sizes.append(array.shape[0])
        try:
            batch = np.ascontiguousarray(np.concatenate(arrays, axis=0), dtype=np.float32)
            logits = self.session.run([self.output_name], {self.input_name: batch})[0].astype(np.float32)
        except Exception as exc:  # report to every request instead of crashing the stub  # noqa: BLE001
            error = pb_utils.TritonError(f"ONNX Runtime failed: {type(exc).__name__}")
            return [pb_utils.InferenceResponse(output_tensors=[], error=error) for _ in requests]
        start = 0
        for size in sizes:
            out = pb_utils.Tensor(self.output_name, logits[start : start + size])
            responses.append(pb_utils.InferenceResponse(output_tensors=[out]))
            start += size
        return responses

    def finalize(self) -> None:
        self.session = None
