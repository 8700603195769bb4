"""One description of an option: its type, default, bounds, flag, help and how a form shows it.

Back ends declare their options with :class:`Option` (see ``inference.backends.plugins``); the
desktop app declares its own settings the same way. From these declarations come the command-line
flags of ``notelasso`` and ``notelasso-ocr`` (:func:`add_arguments`, :func:`given_values`), the
stored settings (:meth:`Option.coerce`) and the settings dialog. Nothing here imports an engine.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inference.errors import InputError

__all__ = ["Option", "add_arguments", "dest", "given_values", "resolve"]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


@dataclass(frozen=True, slots=True)
class Option:
    """One option of a back end (or one app setting).

    ``type`` is ``str``, ``int``, ``float`` or ``bool``; file paths are ``str`` with a ``file_filter``
    (the dialog adds a browse button); ``secret`` values are shown masked and never logged.
    """

    key: str
    type: type
    default: Any
    help: str
    flag: str | None = None  # command-line flag; None keeps it off the command line
    choices: tuple[Any, ...] | None = None
    choice_labels: tuple[str, ...] = ()  # how a form shows each choice (default: the value), e.g. "original"
    minimum: float | None = None
    maximum: float | None = None
    label: str = ""  # row label in the settings dialog (default: the key)
    file_filter: str | None = None  # a path to a file; the file dialog's filter, e.g. "ONNX (*.onnx)"
    secret: bool = False  # masked in the dialog (tokens)
    placeholder: str = ""  # grey example text in an empty line edit
    special_value: str = ""  # spin box text shown at the minimum, e.g. "automatic"
    suffix: str = ""  # spin box unit, e.g. " s"
    step: float | None = None  # spin box step
    metavar: str = ""  # the value's name in --help, e.g. "HOST:PORT"

    @property
    def is_path(self) -> bool:
        return self.file_filter is not None

    def parse(self, value: Any) -> Any:
        """A value from a caller or the command line, checked strictly.

        Takes a value of the option's type or its text form (``"5"``, ``"true"``, a ``Path`` for a
        ``str`` option); returns it as the option's type. Raises InputError when it has the wrong
        type, is not among the choices or lies outside the bounds.
        """
        name = self.flag or self.key
        got = "" if self.secret else f"; got '{value}'"
        out: Any
        try:
            if self.type is bool:
                out = _to_bool(value)
            elif self.type is str:
                if not isinstance(value, str | Path):
                    raise TypeError(value)
                out = str(value)
            elif self.type is int and isinstance(value, float) and not value.is_integer():
                raise TypeError(value)
            else:
                out = self.type(value)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{name} needs {_type_name(self.type)}{got}.") from exc
        if self.choices is not None and out not in self.choices:
            raise InputError(f"{name} must be one of {', '.join(map(str, self.choices))}{got}.")
        if self.minimum is not None and out < self.minimum:
            raise InputError(f"{name} must be at least {self.minimum:g}{got}.")
        if self.maximum is not None and out > self.maximum:
            raise InputError(f"{name} must be at most {self.maximum:g}{got}.")
        return out

    def coerce(self, value: Any) -> Any:
        """A stored value, made usable: never raises.

        QSettings gives strings on some platforms; missing, unreadable or unknown values fall back
        to the default and numbers outside the bounds are clamped. Returns the option's type.
        """
        if value is None:
            return self.default
        try:
            if self.type is bool:
                out = _to_bool(value) if isinstance(value, str) else bool(value)
            else:
                out = self.type(value)
        except (TypeError, ValueError):
            return self.default
        if self.choices is not None and out not in self.choices:
            return self.default
        if self.minimum is not None and out < self.minimum:
            out = self.type(self.minimum)
        if self.maximum is not None and out > self.maximum:
            out = self.type(self.maximum)
        return out

    def describe_default(self) -> str:
        """The default as a user reads it in ``--help``: ``on``/``off``, or the value; '' when empty."""
        if self.type is bool:
            return "on" if self.default else "off"
        return "" if self.default in ("", None) else str(self.default)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(value)


def _type_name(t: type) -> str:
    return {bool: "on/off (true or false)", int: "a whole number", float: "a number", str: "text"}.get(t, t.__name__)


def dest(option: Option) -> str:
    """The argparse attribute an option's flag fills: ``--model-name`` -> ``model_name``."""
    if option.flag is None:
        raise ValueError(f"option {option.key} has no flag")
    return option.flag.lstrip("-").replace("-", "_")


def _argument_type(option: Option) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return option.parse(text)
        except InputError as exc:
            raise argparse.ArgumentTypeError(exc.user_message) from exc

    convert.__name__ = option.type.__name__  # argparse names the type in its own messages
    return convert


def add_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup, options: Iterable[Option]) -> None:
    """Add one flag per option that has one (``--tls/--no-tls`` for booleans).

    Unset flags stay None, so the caller can tell what was given (:func:`given_values`) and let
    the schema (or stored settings) supply the rest; ``--help`` shows each default from the schema.
    """
    for option in options:
        if option.flag is None:
            continue
        shown = option.describe_default()
        text = f"{option.help} (default: {shown})" if shown else option.help
        text = text.replace("%", "%%")
        if option.type is bool:
            parser.add_argument(
                option.flag, dest=dest(option), action=argparse.BooleanOptionalAction, default=None, help=text
            )
        else:
            metavar = option.metavar or ("PATH" if option.is_path else None if option.choices else dest(option).upper())
            parser.add_argument(
                option.flag,
                dest=dest(option),
                type=_argument_type(option),
                choices=option.choices,
                default=None,
                metavar=metavar,
                help=text,
            )


def given_values(args: argparse.Namespace, options: Iterable[Option]) -> dict[str, Any]:
    """option key -> value for the flags actually given on the command line (already parsed)."""
    out: dict[str, Any] = {}
    for option in options:
        if option.flag is None:
            continue
        value = getattr(args, dest(option), None)
        if value is not None:
            out[option.key] = value
    return out


def resolve(options: Iterable[Option], values: Mapping[str, Any], *, what: str) -> dict[str, Any]:
    """option key -> checked value for every option: given values parsed strictly, the rest defaulted.

    Raises InputError for a key no option declares (``what`` names the owner in the message).
    """
    declared = {o.key: o for o in options}
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise InputError(f"{what} has no option {', '.join(unknown)}; it takes: {', '.join(declared)}.")
    return {key: (o.default if values.get(key) is None else o.parse(values[key])) for key, o in declared.items()}
