"""The one table of application settings (Qt-free).

Each :class:`Setting` drives three things: the QSettings store of the desktop app
(``desktop.qt.settings_store``), the command-line flags of ``notelasso`` and the back-end
configuration handed to ``inference.open_backend``. Add a setting here and it appears in all three.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inference.backends import BackendConfig

__all__ = ["BACKEND_KINDS", "SETTINGS", "Setting", "add_cli_arguments", "backend_config", "coerce",
           "defaults", "from_cli", "remote_host"]

BACKEND_KINDS = ("cpu", "tensorrt", "triton")


@dataclass(frozen=True, slots=True)
class Setting:
    key: str
    type: type
    default: Any
    help: str
    flag: str | None = None          # CLI flag; None keeps it out of the command line
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None


SETTINGS: tuple[Setting, ...] = (
    Setting("backend/kind", str, "cpu", "Recognition back end: cpu (embedded), tensorrt (local GPU) or triton (server).",
            "--backend", BACKEND_KINDS),
    Setting("backend/model_path", str, "", "ONNX model for the embedded CPU back end (empty: the bundled model).",
            "--model"),
    Setting("backend/plan_path", str, "", "TensorRT engine (.plan) built by `notelasso-engine trt`.", "--plan"),
    Setting("backend/url", str, "127.0.0.1:8001", "Triton server address (host:port, gRPC).", "--url"),
    Setting("backend/model_name", str, "notelasso_parseq", "Model name on the Triton server.", "--model-name"),
    Setting("backend/tls", bool, False, "Use TLS for the Triton connection.", "--tls"),
    Setting("backend/root_cert", str, "", "PEM file of the CA that signed the server certificate.", "--root-cert"),
    Setting("backend/client_cert", str, "", "PEM client certificate chain (mutual TLS).", "--client-cert"),
    Setting("backend/client_key", str, "", "PEM private key of the client certificate.", "--client-key"),
    Setting("backend/token_header", str, "",
            "Extra request header for the server, 'Name: value' (e.g. 'Authorization: Bearer ...').", "--token-header"),
    Setting("backend/threads", int, 0, "CPU threads for the embedded back end (0: automatic).", "--threads",
            minimum=0, maximum=64),
    Setting("backend/batch_size", int, 32, "Word crops per inference batch.", "--batch-size", minimum=1, maximum=512),
    Setting("review/confidence_threshold", float, 0.6,
            "Characters read with less confidence than this are marked for review.", "--threshold",
            minimum=0.0, maximum=1.0),
    Setting("document/dpi", int, 200, "Resolution at which PDF pages are rendered.", "--dpi", minimum=72, maximum=600),
)

_BY_KEY = {s.key: s for s in SETTINGS}


def defaults() -> dict[str, Any]:
    return {s.key: s.default for s in SETTINGS}


def coerce(key: str, value: Any) -> Any:
    """Turn a stored value (QSettings gives strings on some platforms) into the setting's type."""
    setting = _BY_KEY[key]
    if value is None:
        return setting.default
    try:
        if setting.type is bool:
            if isinstance(value, str):
                return value.strip().lower() in {"1", "true", "yes", "on"}
            return bool(value)
        out = setting.type(value)
    except (TypeError, ValueError):
        return setting.default
    if setting.choices is not None and out not in setting.choices:
        return setting.default
    if setting.minimum is not None and out < setting.minimum:
        out = setting.type(setting.minimum)
    if setting.maximum is not None and out > setting.maximum:
        out = setting.type(setting.maximum)
    return out


def _dest(setting: Setting) -> str:
    assert setting.flag is not None
    return setting.flag.lstrip("-").replace("-", "_")


def add_cli_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per setting; unset flags stay None so stored settings are kept."""
    for s in SETTINGS:
        if s.flag is None:
            continue
        if s.type is bool:
            parser.add_argument(s.flag, dest=_dest(s), action=argparse.BooleanOptionalAction, default=None,
                                help=s.help)
        else:
            parser.add_argument(s.flag, dest=_dest(s), type=s.type, choices=s.choices, default=None,
                                help=f"{s.help} (default: {s.default!r})")


def from_cli(args: argparse.Namespace) -> dict[str, Any]:
    """Settings given on the command line (only those actually passed)."""
    out = {}
    for s in SETTINGS:
        if s.flag is None:
            continue
        value = getattr(args, _dest(s), None)
        if value is not None:
            out[s.key] = coerce(s.key, value)
    return out


def _header(line: str) -> dict[str, str]:
    name, sep, value = line.partition(":")
    return {name.strip(): value.strip()} if sep and name.strip() else {}


def backend_config(values: Mapping[str, Any]) -> BackendConfig:
    """Settings -> the config that ``inference.backends.open_backend`` takes."""
    get = lambda key: coerce(key, values.get(key, _BY_KEY[key].default))  # noqa: E731
    kind = get("backend/kind")
    model = get("backend/plan_path") if kind == "tensorrt" else get("backend/model_path")
    return BackendConfig(
        kind=kind,
        model_path=Path(model).expanduser() if model else None,
        threads=get("backend/threads") or None,
        url=get("backend/url"),
        model_name=get("backend/model_name"),
        ssl=get("backend/tls"),
        root_certificates=get("backend/root_cert") or None,
        certificate_chain=get("backend/client_cert") or None,
        private_key=get("backend/client_key") or None,
        headers=_header(get("backend/token_header")),
    )


def remote_host(values: Mapping[str, Any]) -> str | None:
    """The host pixels are sent to, or None when recognition stays on this machine."""
    if coerce("backend/kind", values.get("backend/kind")) != "triton":
        return None
    url = str(values.get("backend/url") or _BY_KEY["backend/url"].default)
    url = url.split("://", 1)[-1]
    return url.rsplit(":", 1)[0] if ":" in url else url
