"""The one table of application settings (Qt-free), generated from the back-end option schema.

The table is every back end's options (``inference.backends.plugins``, stored under ``backend/``)
plus the app's own settings (:data:`APP_SETTINGS`). It drives the QSettings store
(``desktop.qt.settings_store``), the command-line flags of ``notelasso``, the settings dialog
(``desktop.qt.dialogs``) and the back-end configuration handed to ``inference.open_backend``.
A back end that declares an option makes it appear in all of them; nothing here names one.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from desktop.core.audit import current_user
from desktop.core.export_pdf import DPI_CHOICES, QUALITY_CHOICES, describe_dpi, describe_quality
from desktop.core.triage import DEFAULT_THRESHOLD
from inference.backends import COMMON_OPTIONS, BackendConfig, backend_options, get_plugin, kind_option
from inference.backends.options import Option, add_arguments, given_values

__all__ = [
    "APP_SETTINGS",
    "BACKEND_PREFIX",
    "KIND_KEY",
    "Setting",
    "add_cli_arguments",
    "backend_config",
    "backend_key",
    "backend_settings",
    "coerce",
    "common_backend_settings",
    "defaults",
    "from_cli",
    "remote_host",
    "setting",
    "settings",
]

#: A setting is an option whose key is its QSettings key (``backend/url``, ``document/dpi``).
Setting = Option

BACKEND_PREFIX = "backend/"
KIND_KEY = BACKEND_PREFIX + "kind"

APP_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "review/reviewer",
        str,
        current_user(),
        "Your name as recorded with every change and sign-off in the audit trail (default: your computer account).",
        "--reviewer",
        label="Reviewer",
        metavar="NAME",
    ),
    Setting(
        "review/confidence_threshold",
        float,
        0.6,
        "Characters read with less confidence than this are marked for review.",
        "--threshold",
        minimum=0.0,
        maximum=1.0,
        label="Mark characters below confidence",
        step=0.05,
    ),
    Setting(
        "review/triage_threshold",
        float,
        DEFAULT_THRESHOLD,
        "Words whose triage score reaches this are marked for review: a score fitted on generated notes over "
        "confidence, the word's shape and kind, the word lists and the second reader; a clinical check scores 1. "
        "0.5 marks about 30 % of the words of generated notes (decision 025).",
        "--triage-threshold",
        minimum=0.0,
        maximum=1.0,
        label="Mark words with a triage score from",
        step=0.05,
    ),
    Setting(
        "review/unreadable_below",
        float,
        0.9,
        "Regions whose characters average less confidence than this are marked 'unreadable — type it': "
        "the model's guess is not shown as the text nor exported (0 turns this off).",
        "--unreadable-below",
        minimum=0.0,
        maximum=1.0,
        label="Mark regions unreadable below mean confidence",
        step=0.05,
    ),
    Setting(
        "review/second_reader",
        bool,
        False,
        "After each region is read, a second reader (PP-OCR, on this computer) reads it again in the background; "
        "words the two read differently are flagged, with the other reading one key away (Ctrl+T).",
        "--second-reader",
        label="Second reader (PP-OCR)",
    ),
    Setting(
        "document/dpi",
        int,
        200,
        "Resolution at which PDF pages are rendered.",
        "--dpi",
        minimum=72,
        maximum=600,
        label="Render PDF pages at",
        suffix=" dpi",
    ),
    Setting(
        "export/pdf_dpi",
        int,
        0,
        "Resolution of the page images in an exported searchable PDF (0: original: PDF pages are copied "
        "as they are, scans keep their pixels); a lower one gives a smaller file. Scans are never scaled up.",
        None,
        choices=DPI_CHOICES,
        choice_labels=tuple(describe_dpi(d) for d in DPI_CHOICES),
        label="Searchable PDF: page images at",
    ),
    Setting(
        "export/pdf_quality",
        int,
        0,
        "How the page images of an exported searchable PDF are compressed (0: lossless; else a JPEG "
        "quality, smaller and slightly blurred). A PDF page copied as it is keeps its own images.",
        None,
        choices=QUALITY_CHOICES,
        choice_labels=tuple(describe_quality(q) for q in QUALITY_CHOICES),
        label="Searchable PDF: image quality",
    ),
)


_APP_BY_KEY: dict[str, Setting] = {s.key: s for s in APP_SETTINGS}


def backend_key(option_key: str) -> str:
    """A back-end option key -> its settings key: ``url`` -> ``backend/url``."""
    return BACKEND_PREFIX + option_key


def _as_setting(option: Option) -> Setting:
    return replace(option, key=backend_key(option.key))


def backend_settings(kind: str) -> tuple[Setting, ...]:
    """The settings of one back end's own options (not the common ones), in its declared order."""
    return tuple(_as_setting(o) for o in get_plugin(kind).options)


def common_backend_settings() -> tuple[Setting, ...]:
    """The choice of back end, then the options every back end takes (batch size)."""
    return tuple(_as_setting(o) for o in (kind_option(), *COMMON_OPTIONS))


def settings() -> tuple[Setting, ...]:
    """Every setting once: the back-end options (from the registered plugins), then the app's own."""
    return (*(_as_setting(o) for o in backend_options()), *APP_SETTINGS)


def setting(key: str) -> Setting:
    """The setting stored under ``key``; raises KeyError for an unknown key."""
    if not key.startswith(BACKEND_PREFIX):  # the app's own: a fixed table, asked for on every repaint
        if (found := _APP_BY_KEY.get(key)) is not None:
            return found
        raise KeyError(key)
    option_key = key.removeprefix(BACKEND_PREFIX)
    for option in backend_options():  # plugins may register after import: asked each time
        if option.key == option_key:
            return _as_setting(option)
    raise KeyError(key)


def defaults() -> dict[str, Any]:
    """settings key -> default, for every setting."""
    return {s.key: s.default for s in settings()}


def coerce(key: str, value: Any) -> Any:
    """A stored value (QSettings gives strings on some platforms) as the setting's type; never raises."""
    return setting(key).coerce(value)


def add_cli_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per setting; unset flags stay None so stored settings are kept."""
    add_arguments(parser, settings())


def from_cli(args: argparse.Namespace) -> dict[str, Any]:
    """Settings given on the command line (only those actually passed): settings key -> value."""
    return given_values(args, settings())


def backend_config(values: Mapping[str, Any]) -> BackendConfig:
    """Settings (settings key -> value; missing keys take defaults) -> what ``open_backend`` takes."""
    kind = coerce(KIND_KEY, values.get(KIND_KEY))
    plugin = get_plugin(kind)
    return BackendConfig(kind, {o.key: o.coerce(values.get(backend_key(o.key))) for o in plugin.all_options()})


def remote_host(values: Mapping[str, Any]) -> str | None:
    """The host pixels are sent to, or None when recognition stays on this machine."""
    cfg = backend_config(values)
    return get_plugin(cfg.kind).remote_host(cfg.options)
