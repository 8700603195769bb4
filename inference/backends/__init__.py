"""Back ends behind one Protocol, chosen from a registry in preference order.

Heavy imports (onnxruntime, tritonclient, tensorrt) stay inside each back end's module, so
the app starts without the optional ones installed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

from inference.backends.base import Backend, check_batch, chunks
from inference.errors import BackendUnavailableError

__all__ = ["Backend", "BackendConfig", "BACKENDS", "available_backends", "check_batch", "chunks", "open_backend"]


@dataclass(frozen=True, slots=True)
class BackendConfig:
    """Everything needed to open a back end; one table for CLI flags and app settings."""

    kind: str = "cpu"                # cpu | tensorrt | triton
    model_path: Path | None = None   # cpu: .onnx; tensorrt: .plan
    threads: int | None = None
    url: str = "127.0.0.1:8001"      # triton
    model_name: str = "notelasso_parseq"
    timeout_s: float = 10.0
    ssl: bool = False
    root_certificates: str | None = None
    private_key: str | None = None
    certificate_chain: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


#: kind -> (module, human name, install hint)
BACKENDS: dict[str, tuple[str, str, str]] = {
    "tensorrt": ("inference.backends.tensorrt_engine", "TensorRT engine (local GPU)",
                 "pip install 'notelasso[tensorrt]' on a machine with an NVIDIA GPU and driver"),
    "triton": ("inference.backends.triton_grpc", "Triton Inference Server (gRPC)", "pip install 'notelasso[triton]'"),
    "cpu": ("inference.backends.onnxruntime_cpu", "Embedded CPU (ONNX Runtime)", "pip install onnxruntime"),
}


def available_backends() -> dict[str, tuple[bool, str]]:
    """kind -> (available, hint). Never raises."""
    out = {}
    for kind, (module, _name, hint) in BACKENDS.items():
        try:
            ok, why = importlib.import_module(module).is_available()
        except ImportError:
            ok, why = False, hint
        out[kind] = (ok, why or hint if not ok else "")
    return out


def open_backend(cfg: BackendConfig) -> Backend:
    if cfg.kind not in BACKENDS:
        raise BackendUnavailableError(f"Unknown back end '{cfg.kind}'. Choose one of: {', '.join(BACKENDS)}.")
    module_name, name, hint = BACKENDS[cfg.kind]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise BackendUnavailableError(f"The {name} back end is not installed.", hint=hint) from exc
    ok, why = module.is_available()
    if not ok:
        raise BackendUnavailableError(f"The {name} back end is not available here.", hint=why or hint)
    if cfg.kind == "cpu":
        return module.OnnxRuntimeBackend(_need_model(cfg), threads=cfg.threads)
    if cfg.kind == "tensorrt":
        return module.TensorRTBackend(_need_model(cfg))
    return module.TritonBackend(
        cfg.url, cfg.model_name, timeout_s=cfg.timeout_s, ssl=cfg.ssl, root_certificates=cfg.root_certificates,
        private_key=cfg.private_key, certificate_chain=cfg.certificate_chain, headers=dict(cfg.headers) or None,
        local_spec=cfg.model_path,
    )


def _need_model(cfg: BackendConfig) -> Path:
    from inference.models import default_model_path

    path = cfg.model_path or default_model_path()
    if path is None:
        from inference.models import NO_MODEL_MESSAGE

        raise BackendUnavailableError(NO_MODEL_MESSAGE, hint="pass --model PATH or see README 'Models'")
    return Path(path)
