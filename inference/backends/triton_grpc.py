"""A remote Triton Inference Server over gRPC (pixels leave this machine).

One persistent channel with keep-alive; every call carries a deadline (``timeout_s``). On
connect the server must be live and ready, the model ready, and the model's metadata and config
must agree with the ModelSpec the server publishes (config parameter ``notelasso.spec``, written
by ``notelasso-engine triton-repo``) and, when given, with the local spec. Large batches are cut
to the server's ``max_batch_size`` and sent concurrently, so Triton's dynamic batcher can run
them side by side. Only UNAVAILABLE (nothing was computed, or the idempotent inference can
simply be repeated) is retried. Every tritonclient error leaves as RemoteInferenceError.

tritonclient is imported here only, so the app starts without it.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from inference.backends.base import FloatArray, check_batch, chunks
from inference.backends.hints import TRITON_HINT
from inference.errors import BackendUnavailableError, ModelMismatchError, RemoteInferenceError
from inference.spec import METADATA_KEY, ModelSpec, load_spec

log = logging.getLogger(__name__)

INSTALL_HINT = TRITON_HINT
RETRYABLE = frozenset({"StatusCode.UNAVAILABLE"})
#: Pings only while calls are in flight, at most once a minute: Triton's default server policy
#: (min ping interval without data 5 min, 2 strikes) then never answers with GOAWAY.
KEEPALIVE = {
    "keepalive_time_ms": 60_000,
    "keepalive_timeout_ms": 20_000,
    "keepalive_permit_without_calls": False,
    "http2_max_pings_without_data": 2,
}


def is_available() -> tuple[bool, str]:
    try:
        import tritonclient.grpc  # noqa: F401
    except ImportError:
        return False, INSTALL_HINT
    return True, ""


def _status(exc: BaseException) -> str | None:
    status = getattr(exc, "status", None)
    value = status() if callable(status) else status
    return str(value) if value else None


def _is_restricted(exc: BaseException) -> bool:
    """Triton answers UNAVAILABLE when a restricted protocol lacks its header (not worth a retry)."""
    message = getattr(exc, "message", None)
    text = message() if callable(message) else str(exc)
    return "protocol is restricted" in (text or "")


def _describe(status: str | None) -> str:
    return {
        "RESTRICTED": "the server requires an access header that is missing or wrong",
        "StatusCode.UNAVAILABLE": "the server cannot be reached",
        "StatusCode.DEADLINE_EXCEEDED": "the server did not answer in time",
        "StatusCode.UNAUTHENTICATED": "the server refused the credentials",
        "StatusCode.PERMISSION_DENIED": "the server refused the credentials",
        "StatusCode.NOT_FOUND": "the model is not on the server",
        "StatusCode.RESOURCE_EXHAUSTED": "the server is overloaded",
    }.get(status or "", "the server reported an error")


def _spec_differences(a: ModelSpec, b: ModelSpec) -> list[str]:
    out = []
    for f in fields(ModelSpec):
        if f.name == "extra":
            continue
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if va != vb:
            out.append(
                f"charset ({len(va)} vs {len(vb)} characters)"
                if f.name == "charset"
                else f"{f.name} ({va!r} vs {vb!r})"
            )
    return out


class TritonBackend:
    """PARSeq on a Triton server; thread-safe (``infer`` may be called from several threads)."""

    is_remote = True

    def __init__(
        self,
        url: str,
        model_name: str,
        *,
        timeout_s: float = 10.0,
        ssl: bool = False,
        root_certificates: str | None = None,
        private_key: str | None = None,
        certificate_chain: str | None = None,
        headers: dict[str, str] | None = None,
        model_version: str = "",
        local_spec: ModelSpec | Path | None = None,
        max_inflight: int = 4,
        retries: int = 2,
        retry_backoff_s: float = 0.2,
    ) -> None:
        ok, hint = is_available()
        if not ok:
            raise BackendUnavailableError("The Triton client (tritonclient) is not installed.", hint=hint)
        if timeout_s <= 0:
            raise BackendUnavailableError("The Triton timeout must be positive.")
        import tritonclient.grpc as grpcclient

        self._grpc = grpcclient
        self.url = url
        self.model_name = model_name
        self.model_version = model_version
        self.timeout_s = float(timeout_s)
        self.retries = max(0, retries)
        self.retry_backoff_s = retry_backoff_s
        # gRPC metadata keys must be lower case; values are never logged.
        self._headers = {k.strip().lower(): v for k, v in (headers or {}).items()} or None
        for path in (root_certificates, private_key, certificate_chain):
            if path and not Path(path).is_file():
                raise RemoteInferenceError(f"TLS file not found: {path}", status="TLS")
        if (private_key is None) != (certificate_chain is None):
            raise RemoteInferenceError(
                "A TLS client certificate needs both the key and the certificate chain.", status="TLS"
            )
        try:
            self._client = grpcclient.InferenceServerClient(
                url,
                ssl=ssl or bool(root_certificates or certificate_chain),
                root_certificates=root_certificates,
                private_key=private_key,
                certificate_chain=certificate_chain,
                keepalive_options=grpcclient.KeepAliveOptions(**KEEPALIVE),
            )
        except Exception as exc:  # bad URL, unreadable certificates
            raise RemoteInferenceError(
                f"Cannot set up a connection to the Triton server at {url}.", status=_status(exc)
            ) from exc
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self.max_inflight = max(1, max_inflight)
        try:
            self._spec, self.max_batch = self._connect(local_spec)
        except BaseException:
            self.close()
            raise
        self.label = f"Triton {url} ({model_name})"
        log.info("connected to Triton model %s at %s (max batch %d)", model_name, url, self.max_batch)

    # -- calls -------------------------------------------------------------------------------
    def _call(self, what: str, fn: Any, *args: Any, retry: bool = True, **kwargs: Any) -> Any:
        """Run a tritonclient call with deadline and headers; wrap its errors; retry UNAVAILABLE."""
        from tritonclient.utils import InferenceServerException

        attempts = 1 + (self.retries if retry else 0)
        for attempt in range(attempts):
            try:
                return fn(*args, headers=self._headers, client_timeout=self.timeout_s, **kwargs)
            except InferenceServerException as exc:
                status = "RESTRICTED" if _is_restricted(exc) else _status(exc)
                if status in RETRYABLE and attempt + 1 < attempts:
                    log.info("Triton %s: %s, retry %d/%d", what, status, attempt + 1, self.retries)
                    time.sleep(self.retry_backoff_s * (2**attempt))
                    continue
                raise RemoteInferenceError(
                    f"Triton {what} failed at {self.url}: {_describe(status)}.", status=status, hint=self._hint(status)
                ) from exc
            except Exception as exc:  # grpc or socket errors that tritonclient did not wrap
                raise RemoteInferenceError(
                    f"Triton {what} failed at {self.url}: {type(exc).__name__}.", status=_status(exc)
                ) from exc
        raise AssertionError("unreachable")

    def _hint(self, status: str | None) -> str | None:
        if status == "StatusCode.UNAVAILABLE":
            return f"is tritonserver running and reachable at {self.url} (gRPC port, TLS setting)?"
        if status == "StatusCode.DEADLINE_EXCEEDED":
            return f"the limit is {self.timeout_s:g} s per request (--timeout)"
        if status in ("StatusCode.UNAUTHENTICATED", "StatusCode.PERMISSION_DENIED", "RESTRICTED"):
            return (
                "check the --header token (Triton's own --grpc-restricted-protocol expects the header "
                "'triton-grpc-protocol-<key>') and the client certificate"
            )
        return None

    # -- connect -----------------------------------------------------------------------------
    def _connect(self, local_spec: ModelSpec | Path | None) -> tuple[ModelSpec, int]:
        c, name, ver = self._client, self.model_name, self.model_version
        if not self._call("liveness check", c.is_server_live, retry=False):
            raise RemoteInferenceError(f"The Triton server at {self.url} is not live.", status="NOT_LIVE")
        if not self._call("readiness check", c.is_server_ready):
            raise RemoteInferenceError(f"The Triton server at {self.url} is not ready.", status="NOT_READY")
        if not self._call("model check", c.is_model_ready, name, ver):
            raise RemoteInferenceError(
                f"Model '{name}' is not ready on the Triton server at {self.url}.",
                status="MODEL_NOT_READY",
                hint="check the model name (--model-name) and the server log",
            )
        meta = self._call("metadata request", c.get_model_metadata, name, ver, as_json=True)
        config = self._call("config request", c.get_model_config, name, ver, as_json=True)["config"]
        spec = self._server_spec(config, local_spec)
        max_batch = int(config.get("max_batch_size", 0))
        self._check_tensors(meta, spec, batched=max_batch > 0)
        return spec, max_batch if max_batch > 0 else 64

    def _server_spec(self, config: dict[str, Any], local_spec: ModelSpec | Path | None) -> ModelSpec:
        if isinstance(local_spec, Path | str):
            local_spec = load_spec(Path(local_spec))
        text = config.get("parameters", {}).get(METADATA_KEY, {}).get("string_value")
        if not text:
            if local_spec is None:
                raise ModelMismatchError(
                    f"Model '{self.model_name}' on the Triton server publishes no NoteLasso model spec.",
                    hint="generate the repository with `notelasso-engine triton-repo`, or give the local model",
                )
            return local_spec
        spec = ModelSpec.from_json(text)
        if local_spec is not None and spec != local_spec:
            raise ModelMismatchError(
                f"Model '{self.model_name}' on the Triton server differs from the local model: "
                + "; ".join(_spec_differences(spec, local_spec))
                + " (server vs local)."
            )
        return spec

    def _check_tensors(self, meta: dict[str, Any], spec: ModelSpec, *, batched: bool) -> None:
        def one(items: list[dict[str, Any]], name: str, want: tuple[int, ...], role: str) -> None:
            found = {t["name"]: t for t in items}
            if name not in found:
                raise ModelMismatchError(
                    f"The Triton model's {role} tensors are {sorted(found)}, but the model spec names '{name}'."
                )
            t = found[name]
            shape = [int(d) for d in t["shape"]]
            if (
                t["datatype"] != "FP32"
                or len(shape) != len(want) + 1
                or shape[1:] != list(want)
                or (not batched and shape[0] != -1)
            ):
                raise ModelMismatchError(
                    f"The Triton model's {role} '{name}' is {t['datatype']} {shape}, but the model spec expects "
                    f"FP32 [-1, {', '.join(map(str, want))}]."
                )

        one(meta.get("inputs", []), spec.input_name, spec.input_shape, "input")
        one(meta.get("outputs", []), spec.output_name, spec.output_shape, "output")

    # -- Backend protocol --------------------------------------------------------------------
    @property
    def spec(self) -> ModelSpec:
        return self._spec

    def _infer_one(self, part: FloatArray) -> FloatArray:
        g, spec = self._grpc, self._spec
        inp = g.InferInput(spec.input_name, list(part.shape), "FP32")
        inp.set_data_from_numpy(part)
        out = g.InferRequestedOutput(spec.output_name)
        result = self._call(
            "inference", self._client.infer, self.model_name, [inp], model_version=self.model_version, outputs=[out]
        )
        logits = result.as_numpy(spec.output_name)
        if logits is None:
            raise RemoteInferenceError("The Triton server answered without logits.", status="NO_OUTPUT")
        spec.check_output_shape(tuple(logits.shape), where="The Triton server")
        if logits.shape[0] != part.shape[0]:
            raise ModelMismatchError(f"The Triton server returned {logits.shape[0]} results for {part.shape[0]} crops.")
        return np.asarray(logits, dtype=np.float32)

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.max_inflight, thread_name_prefix="triton-infer")
            return self._pool

    def infer(self, batch: FloatArray) -> FloatArray:
        if self._client is None:
            raise RemoteInferenceError("The Triton connection is closed.", status="CLOSED")
        batch = check_batch(self._spec, batch)
        parts = [batch[s] for s in chunks(batch.shape[0], self.max_batch)]
        if len(parts) == 1:
            return self._infer_one(parts[0])
        results = list(self._executor().map(self._infer_one, parts))
        return np.concatenate(results, axis=0)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        client, self._client = getattr(self, "_client", None), None
        if client is not None:
            try:
                client.close()
            except Exception:  # closing a broken channel must not mask the real error
                log.debug("closing the Triton channel failed", exc_info=True)

    def __enter__(self) -> TritonBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
