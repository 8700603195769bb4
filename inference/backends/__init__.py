"""Back ends behind one Protocol, each a plugin that declares its options and how it opens.

Heavy imports (onnxruntime, tritonclient, tensorrt) stay inside each back end's module, so
the app starts without the optional ones installed. ``open_backend`` looks the plugin up in
``inference.backends.plugins.PLUGINS``; it never branches on which back end it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from inference.backends.base import Backend, check_batch, chunks
from inference.backends.options import Option
from inference.backends.plugins import (
    COMMON_OPTIONS,
    DEFAULT_KIND,
    PLUGINS,
    BackendPlugin,
    backend_options,
    get_plugin,
    kind_option,
    register,
)
from inference.errors import BackendUnavailableError

__all__ = [
    "COMMON_OPTIONS",
    "DEFAULT_KIND",
    "PLUGINS",
    "Backend",
    "BackendConfig",
    "BackendPlugin",
    "Option",
    "available_backends",
    "backend_options",
    "check_batch",
    "chunks",
    "get_plugin",
    "kind_option",
    "open_backend",
    "register",
]


@dataclass(frozen=True, slots=True)
class BackendConfig:
    """Which back end to open and the values of its options (option key -> value).

    Keys are the plugin's option keys (``model_path``, ``threads``, ``url``, ``tls``, ...); missing
    ones take the schema's default. E.g. ``BackendConfig("cpu", {"model_path": path, "threads": 1})``.
    """

    kind: str = DEFAULT_KIND
    options: Mapping[str, Any] = field(default_factory=dict)


def available_backends() -> dict[str, tuple[bool, str]]:
    """kind -> (available, hint) for every registered back end; the hint is '' when available. Never raises."""
    out = {}
    for kind, plugin in PLUGINS.items():
        ok, why = plugin.is_available()
        out[kind] = (True, "") if ok else (False, why or plugin.install_hint)
    return out


def open_backend(cfg: BackendConfig) -> Backend:
    """Open the back end ``cfg`` names with its option values; returns a loaded Backend.

    Raises BackendUnavailableError (unknown kind, missing package or GPU; NoModelError when no
    model file is chosen or bundled), InputError (an option of the wrong type or out of bounds),
    ModelMismatchError or RemoteInferenceError from the back end itself.
    """
    plugin = get_plugin(cfg.kind)
    values = plugin.resolve(cfg.options)
    ok, why = plugin.is_available()
    if not ok:
        raise BackendUnavailableError(
            f"The {plugin.name} back end is not available here.", hint=why or plugin.install_hint
        )
    return plugin.open(values)
