"""What to install for each back end: shared by the plugin table and the back-end modules."""

from __future__ import annotations

__all__ = ["CPU_HINT", "TENSORRT_HINT", "TRITON_HINT"]

CPU_HINT = "pip install onnxruntime"
TENSORRT_HINT = "pip install 'notelasso[tensorrt]' on a machine with an NVIDIA GPU and driver"
TRITON_HINT = "pip install 'notelasso[triton]'"
