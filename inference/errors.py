"""Error hierarchy shared by every surface (CLI, GUI, back ends).

Each error carries a ``user_message`` that is safe to show staff: it never holds
recognised text or pixels. Third-party errors are wrapped at the boundary with
``raise XError(...) from exc`` so the cause stays in the traceback for developers.

Every command-line tool exits with an :class:`ExitCode`; each error class carries its own.
"""

from __future__ import annotations

from enum import IntEnum
from typing import ClassVar

__all__ = [
    "BackendUnavailableError",
    "DocumentError",
    "ExitCode",
    "InputError",
    "ModelMismatchError",
    "NoModelError",
    "NoteLassoError",
    "RemoteInferenceError",
    "report_error",
]


class ExitCode(IntEnum):
    """The exit status of every NoteLasso command; ``meaning`` is the README's wording for it."""

    meaning: str

    def __new__(cls, value: int, meaning: str) -> ExitCode:
        member = int.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        return member

    OK = 0, "success"
    ERROR = 1, "any other error (e.g. a failed model check)"
    INPUT = 2, "bad input: a wrong option, region or page"
    DOCUMENT = 3, "a document is missing, unreadable, encrypted or too large"
    BACKEND_UNAVAILABLE = 4, "back end unavailable: missing package, GPU, engine or model file"
    MODEL_MISMATCH = 5, "model mismatch: an artefact or server config disagrees with the model's spec"
    REMOTE = 6, "remote server failed: unreachable, timed out, TLS or an error status"
    STORAGE = 7, "the review session file cannot be created, read or written"
    EXPORT = 8, "an export cannot be written"
    AUDIT_BROKEN = 9, "a review's audit trail is broken: an entry was changed, removed or reordered"
    INTERNAL = 70, "internal error: an unexpected failure (`--debug` shows the traceback)"
    INTERRUPTED = 130, "interrupted (Ctrl+C)"


class NoteLassoError(Exception):
    """Base class. ``user_message`` is safe to show staff and holds no patient data."""

    exit_code: ClassVar[ExitCode] = ExitCode.ERROR

    def __init__(self, user_message: str, *, hint: str | None = None) -> None:
        super().__init__(user_message if hint is None else f"{user_message} ({hint})")
        self.user_message = user_message
        self.hint = hint


class DocumentError(NoteLassoError):
    """A document is missing, unreadable, corrupt, encrypted or too large."""

    exit_code = ExitCode.DOCUMENT


class BackendUnavailableError(NoteLassoError):
    """A back end cannot run here: missing package, GPU, engine or model file."""

    exit_code = ExitCode.BACKEND_UNAVAILABLE


class ModelMismatchError(NoteLassoError):
    """An artefact, engine or server config disagrees with the ModelSpec."""

    exit_code = ExitCode.MODEL_MISMATCH


class RemoteInferenceError(NoteLassoError):
    """A remote server failed: unreachable, timed out, TLS, or an error status."""

    exit_code = ExitCode.REMOTE

    def __init__(self, user_message: str, *, status: str | None = None, hint: str | None = None) -> None:
        super().__init__(user_message, hint=hint)
        self.status = status


class InputError(NoteLassoError):
    """The caller passed something unusable (bad region, bad option)."""

    exit_code = ExitCode.INPUT


def report_error(prog: str, exc: NoteLassoError) -> int:
    """The one way command-line tools show a NoteLassoError: message (+ hint) on stderr, exit code."""
    import sys

    print(f"{prog}: error: {exc.user_message}", file=sys.stderr)
    if exc.hint:
        print(f"{prog}: hint: {exc.hint}", file=sys.stderr)
    return exc.exit_code


class NoModelError(BackendUnavailableError):
    """No model (or engine) file was chosen and none is bundled: the app can still show documents.

    Callers recognise it by its class, never by its message.
    """
