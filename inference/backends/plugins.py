"""Each back end as a plugin: its options, how to tell whether it can run here, and how it opens.

This module is light: it imports no engine. onnxruntime, tensorrt and tritonclient are imported by
the back-end modules, which a plugin loads only when asked whether it is available or to open.
The registry :data:`PLUGINS` lists the back ends as users see them; ``open_backend`` looks a
plugin up here and never branches on which one it is. A new back end is one more entry.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inference.backends.hints import CPU_HINT, TENSORRT_HINT, TRITON_HINT
from inference.backends.options import Option, resolve
from inference.errors import BackendUnavailableError, InputError, NoModelError

if TYPE_CHECKING:
    from inference.backends.base import Backend

__all__ = [
    "COMMON_OPTIONS",
    "CPU_HINT",
    "DEFAULT_KIND",
    "PLUGINS",
    "TENSORRT_HINT",
    "TRITON_HINT",
    "BackendPlugin",
    "backend_options",
    "get_plugin",
    "kind_option",
    "parse_header",
    "register",
]

DEFAULT_KIND = "cpu"

#: Options every back end takes (the Recognizer's batch size).
COMMON_OPTIONS: tuple[Option, ...] = (
    Option(
        "batch_size",
        int,
        32,
        "Word crops per inference batch.",
        "--batch-size",
        minimum=1,
        maximum=512,
        label="Batch size",
        metavar="N",
    ),
)


@dataclass(frozen=True, slots=True)
class BackendPlugin:
    """One back end: what it is called, what it needs, whether it can run here and how it opens.

    ``open(values)`` takes every option's value (as :meth:`resolve` returns them) and returns a
    loaded :class:`~inference.backends.base.Backend`; ``is_available()`` returns ``(ok, hint)`` and
    never raises. ``address_option`` names the option holding a server address when pixels leave
    this machine.
    """

    kind: str
    name: str
    install_hint: str
    options: tuple[Option, ...]
    open: Callable[[Mapping[str, Any]], Backend]
    is_available: Callable[[], tuple[bool, str]]
    address_option: str | None = None

    @property
    def is_remote(self) -> bool:
        return self.address_option is not None

    def all_options(self) -> tuple[Option, ...]:
        """The common options, then this back end's own."""
        return (*COMMON_OPTIONS, *self.options)

    def resolve(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """option key -> checked value for every option; missing ones take their default. Raises InputError."""
        return resolve(self.all_options(), values, what=f"The {self.name} back end")

    def remote_host(self, values: Mapping[str, Any]) -> str | None:
        """The host pixels are sent to (from option key -> value), or None for a local back end."""
        if self.address_option is None:
            return None
        option = next(o for o in self.options if o.key == self.address_option)
        address = str(values.get(option.key) or option.default).split("://", 1)[-1]
        return address.rsplit(":", 1)[0] if ":" in address else address


def _probe(module: str, hint: str) -> Callable[[], tuple[bool, str]]:
    """An ``is_available`` that imports the back-end module only when called."""

    def is_available() -> tuple[bool, str]:
        try:
            ok, why = importlib.import_module(module).is_available()
        except ImportError:
            return False, hint
        return (True, "") if ok else (False, why or hint)

    return is_available


def parse_header(text: str) -> dict[str, str]:
    """``'Name: value'`` -> ``{'Name': 'value'}``; '' -> {}. Raises InputError (never echoing the value)."""
    if not text.strip():
        return {}
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise InputError("The header must read 'Name: value', e.g. 'authorization: Bearer <token>' (--header).")
    return {name.strip(): value.strip()}


# -- the embedded CPU back end ----------------------------------------------------------------
MODEL_PATH = Option(
    "model_path",
    str,
    "",
    "ONNX model: the CPU back end runs it (empty: the bundled model); Triton checks the server's model against it "
    "(empty: no check).",
    "--model",
    label="Model file",
    file_filter="ONNX model (*.onnx)",
)


def _bundled_or(path: str) -> Path:
    from inference.models import NO_MODEL_MESSAGE, default_model_path

    found = Path(path).expanduser() if path else default_model_path()
    if found is None:
        raise NoModelError(NO_MODEL_MESSAGE, hint="pass --model PATH or see README 'Models'")
    return found


def _open_cpu(values: Mapping[str, Any]) -> Backend:
    from inference.backends.onnxruntime_cpu import OnnxRuntimeBackend

    return OnnxRuntimeBackend(_bundled_or(values["model_path"]), threads=values["threads"] or None)


CPU = BackendPlugin(
    kind="cpu",
    name="Embedded CPU (ONNX Runtime)",
    install_hint=CPU_HINT,
    options=(
        MODEL_PATH,
        Option(
            "threads",
            int,
            0,
            "CPU threads for ONNX Runtime (0: automatic).",
            "--threads",
            minimum=0,
            maximum=64,
            label="Threads",
            special_value="automatic",
            metavar="N",
        ),
    ),
    open=_open_cpu,
    is_available=_probe("inference.backends.onnxruntime_cpu", CPU_HINT),
)


# -- TensorRT on a local GPU --------------------------------------------------------------------


def _open_tensorrt(values: Mapping[str, Any]) -> Backend:
    from inference.backends.tensorrt_engine import TensorRTBackend

    if not values["plan_path"]:
        raise NoModelError(
            "No TensorRT engine is chosen. Build one with `notelasso-engine trt` and choose its .plan file.",
            hint="pass --plan PATH or set the engine file in Settings",
        )
    return TensorRTBackend(Path(values["plan_path"]).expanduser())


TENSORRT = BackendPlugin(
    kind="tensorrt",
    name="TensorRT engine (local GPU)",
    install_hint=TENSORRT_HINT,
    options=(
        Option(
            "plan_path",
            str,
            "",
            "TensorRT engine (.plan) built by `notelasso-engine trt`.",
            "--plan",
            label="Engine file",
            file_filter="TensorRT engine (*.plan *.engine)",
        ),
    ),
    open=_open_tensorrt,
    is_available=_probe("inference.backends.tensorrt_engine", TENSORRT_HINT),
)


# -- a Triton Inference Server over gRPC ----------------------------------------------------------


def _open_triton(values: Mapping[str, Any]) -> Backend:
    from inference.backends.triton_grpc import TritonBackend

    return TritonBackend(
        values["url"],
        values["model_name"],
        timeout_s=values["timeout_s"],
        ssl=values["tls"],
        root_certificates=values["root_cert"] or None,
        certificate_chain=values["client_cert"] or None,
        private_key=values["client_key"] or None,
        headers=parse_header(values["token_header"]) or None,
        local_spec=Path(values["model_path"]).expanduser() if values["model_path"] else None,
    )


TRITON = BackendPlugin(
    kind="triton",
    name="Triton Inference Server (gRPC)",
    install_hint=TRITON_HINT,
    options=(
        Option(
            "url",
            str,
            "127.0.0.1:8001",
            "Triton server address (host:port, gRPC).",
            "--url",
            label="Server (host:port)",
            metavar="HOST:PORT",
        ),
        Option(
            "model_name",
            str,
            "notelasso_parseq",
            "Model name on the Triton server.",
            "--model-name",
            label="Model name",
        ),
        Option(
            "timeout_s",
            float,
            10.0,
            "Seconds each call to the server may take (connect checks and each request).",
            "--timeout",
            minimum=0.1,
            maximum=600.0,
            label="Timeout",
            suffix=" s",
            step=0.5,
            metavar="SECONDS",
        ),
        Option("tls", bool, False, "Use TLS for the Triton connection.", "--tls", label="Use TLS"),
        Option(
            "root_cert",
            str,
            "",
            "PEM file of the CA that signed the server certificate.",
            "--root-cert",
            label="Root certificate",
            file_filter="PEM (*.pem *.crt)",
        ),
        Option(
            "client_cert",
            str,
            "",
            "PEM client certificate chain (mutual TLS).",
            "--client-cert",
            label="Client certificate",
            file_filter="PEM (*.pem *.crt)",
        ),
        Option(
            "client_key",
            str,
            "",
            "PEM private key of the client certificate.",
            "--client-key",
            label="Client key",
            file_filter="PEM (*.pem *.key)",
        ),
        Option(
            "token_header",
            str,
            "",
            "Extra request header for the server, 'Name: value' (e.g. 'authorization: Bearer ...').",
            "--header",
            label="Token header",
            secret=True,
            placeholder="authorization: Bearer …",
            metavar="'NAME: VALUE'",
        ),
        MODEL_PATH,
    ),
    open=_open_triton,
    is_available=_probe("inference.backends.triton_grpc", TRITON_HINT),
    address_option="url",
)

#: kind -> plugin, in the order users see them.
PLUGINS: dict[str, BackendPlugin] = {p.kind: p for p in (CPU, TENSORRT, TRITON)}


def register(plugin: BackendPlugin) -> None:
    """Add (or replace) a back end; it appears in ``--backend``, the settings and the dialog."""
    PLUGINS[plugin.kind] = plugin


def get_plugin(kind: str) -> BackendPlugin:
    """The plugin for ``kind``; raises BackendUnavailableError naming the known kinds."""
    try:
        return PLUGINS[kind]
    except KeyError:
        raise BackendUnavailableError(f"Unknown back end '{kind}'. Choose one of: {', '.join(PLUGINS)}.") from None


def kind_option() -> Option:
    """The choice of back end (``--backend``), with the registered kinds as choices."""
    names = "; ".join(f"{p.kind}: {p.name}" for p in PLUGINS.values())
    return Option(
        "kind",
        str,
        DEFAULT_KIND,
        f"Recognition back end ({names}).",
        "--backend",
        choices=tuple(PLUGINS),
        label="Back end",
    )


def backend_options() -> tuple[Option, ...]:
    """Every back-end option once: the kind, the common options, then each plugin's own in registry order."""
    seen: dict[str, Option] = {}
    for option in (kind_option(), *COMMON_OPTIONS, *(o for p in PLUGINS.values() for o in p.options)):
        seen.setdefault(option.key, option)
    return tuple(seen.values())
