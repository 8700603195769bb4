"""Test doubles that fail the way the real things fail.

``cuda_fake`` mirrors the part of cuda-python's runtime bindings NoteLasso uses,
``tensorrt_fake`` (with ``tensorrt_fake_types``) the part of the TensorRT 10.x Python API,
``tiny_models`` writes small hand-made ONNX models with a matching ModelSpec sidecar. ``install_gpu_fakes`` puts the
two fakes into ``sys.modules`` exactly where ``import tensorrt`` and
``from cuda.bindings import runtime`` look for the real modules.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.cuda_fake import FakeGpu, make_cudart
from tests.fakes.tensorrt_fake import make_tensorrt
from tests.fakes.tiny_models import write_tiny_model

__all__ = ["FakeGpu", "install_gpu_fakes", "make_cudart", "make_tensorrt", "write_tiny_model"]


def install_gpu_fakes(monkeypatch, *, gpu: FakeGpu | None = None, trt_version: str = "10.3.0"):
    """Install fake ``tensorrt`` and ``cuda.bindings.runtime``; return (trt, cudart)."""
    import sys
    import types

    cudart = make_cudart(gpu or FakeGpu())
    trt = make_tensorrt(cudart, version=trt_version)
    cuda_pkg: Any = types.ModuleType("cuda")
    bindings: Any = types.ModuleType("cuda.bindings")
    bindings.runtime = cudart
    cuda_pkg.bindings = bindings
    cuda_pkg.cudart = cudart  # the older ``from cuda import cudart`` spelling
    monkeypatch.setitem(sys.modules, "cuda", cuda_pkg)
    monkeypatch.setitem(sys.modules, "cuda.bindings", bindings)
    monkeypatch.setitem(sys.modules, "cuda.bindings.runtime", cudart)
    monkeypatch.setitem(sys.modules, "tensorrt", trt)
    return trt, cudart
