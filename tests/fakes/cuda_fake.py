"""A fake of cuda-python's CUDA runtime bindings (``cuda.bindings.runtime``, cuda-python 12.x).

Mirrors only what NoteLasso calls, with the real calling convention: every call returns a
tuple whose first item is a ``cudaError_t`` (``(err,)`` or ``(err, value)``) and nothing
raises. Device memory is a dict of bytearrays behind fake addresses that are NOT host
addresses, so host code that dereferences a device pointer fails. Pinned host memory is
real memory (ctypes buffers), so code may wrap it with numpy as it would the real thing.
Copies and kernels queued on a stream run only at ``cudaStreamSynchronize``: reading
results before synchronising gives stale data, as on a real GPU.
"""

from __future__ import annotations

import ctypes
import enum
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DEVICE_BASE = 0x7F00_0000_0000  # far from anything the host allocator hands out in tests


class cudaError_t(enum.IntEnum):
    cudaSuccess = 0
    cudaErrorInvalidValue = 1
    cudaErrorMemoryAllocation = 2
    cudaErrorNoDevice = 100
    cudaErrorInvalidDevice = 101
    cudaErrorInvalidResourceHandle = 400


class cudaMemcpyKind(enum.IntEnum):
    cudaMemcpyHostToHost = 0
    cudaMemcpyHostToDevice = 1
    cudaMemcpyDeviceToHost = 2
    cudaMemcpyDeviceToDevice = 3
    cudaMemcpyDefault = 4


class cudaStream_t:
    """Opaque handle; ``int(stream)`` gives the address, as in cuda-python."""

    def __init__(self, handle: int = 0) -> None:
        self._handle = handle

    def __int__(self) -> int:
        return self._handle

    def getPtr(self) -> int:
        return self._handle


class cudaDeviceProp:
    def __init__(self, name: str, major: int, minor: int, total: int) -> None:
        self.name = name.encode() + b"\x00" * (256 - len(name))  # char[256], as the bindings return
        self.major = major
        self.minor = minor
        self.totalGlobalMem = total


@dataclass
class FakeGpu:
    """What the fake machine has. Tests change it to play another GPU or no GPU."""

    name: str = "NVIDIA RTX A4000"
    major: int = 8
    minor: int = 6
    count: int = 1
    memory: int = 1 << 30
    # Bookkeeping that tests read.
    device_allocs: dict[int, bytearray] = field(default_factory=dict)
    host_allocs: dict[int, ctypes.Array] = field(default_factory=dict)
    streams: dict[int, list[Callable[[], None]]] = field(default_factory=dict)
    malloc_calls: int = 0
    malloc_host_calls: int = 0
    stream_create_calls: int = 0
    sync_calls: int = 0
    current_device: int = 0
    _next_device: int = DEVICE_BASE
    _next_stream: int = 0x5000

    @property
    def compute_capability(self) -> str:
        return f"{self.major}.{self.minor}"

    def live_allocations(self) -> int:
        return len(self.device_allocs) + len(self.host_allocs) + len(self.streams)

    # Helpers for the TensorRT fake, which shares this "device".
    def device_span(self, ptr: int, nbytes: int) -> tuple[bytearray, int] | None:
        for base, buf in self.device_allocs.items():
            if base <= ptr and ptr + nbytes <= base + len(buf):
                return buf, ptr - base
        return None

    def host_span(self, ptr: int, nbytes: int) -> bool:
        return any(base <= ptr and ptr + nbytes <= base + ctypes.sizeof(buf) for base, buf in self.host_allocs.items())


def make_cudart(gpu: FakeGpu) -> types.ModuleType:
    """Build a fresh fake ``cuda.bindings.runtime`` module bound to ``gpu``."""
    E = cudaError_t
    mod: Any = types.ModuleType("cuda.bindings.runtime")
    mod.__doc__ = __doc__
    mod.cudaError_t = cudaError_t
    mod.cudaMemcpyKind = cudaMemcpyKind
    mod.cudaStream_t = cudaStream_t
    mod.fake_gpu = gpu

    def cudaGetErrorString(err):
        return (E.cudaSuccess, cudaError_t(err).name.encode())

    def cudaGetDeviceCount():
        if gpu.count == 0:
            return (E.cudaErrorNoDevice, 0)
        return (E.cudaSuccess, gpu.count)

    def cudaSetDevice(device):
        if gpu.count == 0:
            return (E.cudaErrorNoDevice,)
        if not 0 <= device < gpu.count:
            return (E.cudaErrorInvalidDevice,)
        gpu.current_device = device
        return (E.cudaSuccess,)

    def cudaGetDeviceProperties(device):
        if gpu.count == 0:
            return (E.cudaErrorNoDevice, None)
        if not 0 <= device < gpu.count:
            return (E.cudaErrorInvalidDevice, None)
        return (E.cudaSuccess, cudaDeviceProp(gpu.name, gpu.major, gpu.minor, gpu.memory))

    def cudaMalloc(size):
        gpu.malloc_calls += 1
        used = sum(len(b) for b in gpu.device_allocs.values())
        if size <= 0 or used + size > gpu.memory:
            return (E.cudaErrorMemoryAllocation, 0)
        ptr = gpu._next_device
        gpu._next_device += (size + 255) // 256 * 256 + 256  # 256-byte aligned, with a gap
        gpu.device_allocs[ptr] = bytearray(size)
        return (E.cudaSuccess, ptr)

    def cudaFree(ptr):
        if int(ptr) not in gpu.device_allocs:
            return (E.cudaErrorInvalidValue,)
        del gpu.device_allocs[int(ptr)]
        return (E.cudaSuccess,)

    def cudaMallocHost(size):
        gpu.malloc_host_calls += 1
        if size <= 0:
            return (E.cudaErrorInvalidValue, 0)
        buf = ctypes.create_string_buffer(size)
        ptr = ctypes.addressof(buf)
        gpu.host_allocs[ptr] = buf
        return (E.cudaSuccess, ptr)

    def cudaFreeHost(ptr):
        if int(ptr) not in gpu.host_allocs:
            return (E.cudaErrorInvalidValue,)
        del gpu.host_allocs[int(ptr)]
        return (E.cudaSuccess,)

    def cudaStreamCreate():
        gpu.stream_create_calls += 1
        handle = gpu._next_stream
        gpu._next_stream += 16
        gpu.streams[handle] = []
        return (E.cudaSuccess, cudaStream_t(handle))

    def cudaStreamDestroy(stream):
        if int(stream) not in gpu.streams:
            return (E.cudaErrorInvalidResourceHandle,)
        for op in gpu.streams.pop(int(stream)):  # pending work completes first, as on CUDA
            op()
        return (E.cudaSuccess,)

    def cudaStreamSynchronize(stream):
        gpu.sync_calls += 1
        queue = gpu.streams.get(int(stream))
        if queue is None:
            return (E.cudaErrorInvalidResourceHandle,)
        while queue:
            queue.pop(0)()
        return (E.cudaSuccess,)

    def cudaMemcpyAsync(dst, src, count, kind, stream):
        queue = gpu.streams.get(int(stream))
        if queue is None:
            return (E.cudaErrorInvalidResourceHandle,)
        dst, src, count = int(dst), int(src), int(count)
        if kind == cudaMemcpyKind.cudaMemcpyHostToDevice:
            target = gpu.device_span(dst, count)
            if target is None or not gpu.host_span(src, count):
                return (E.cudaErrorInvalidValue,)
            buf, off = target

            def op() -> None:
                buf[off : off + count] = ctypes.string_at(src, count)

        elif kind == cudaMemcpyKind.cudaMemcpyDeviceToHost:
            source = gpu.device_span(src, count)
            if source is None or not gpu.host_span(dst, count):
                return (E.cudaErrorInvalidValue,)
            buf, off = source

            def op() -> None:
                ctypes.memmove(dst, bytes(buf[off : off + count]), count)

        else:
            return (E.cudaErrorInvalidValue,)
        queue.append(op)
        return (E.cudaSuccess,)

    for fn in (
        cudaGetErrorString,
        cudaGetDeviceCount,
        cudaSetDevice,
        cudaGetDeviceProperties,
        cudaMalloc,
        cudaFree,
        cudaMallocHost,
        cudaFreeHost,
        cudaStreamCreate,
        cudaStreamDestroy,
        cudaStreamSynchronize,
        cudaMemcpyAsync,
    ):
        setattr(mod, fn.__name__, fn)
    return mod
