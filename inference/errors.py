"""Error hierarchy shared by every surface (CLI, GUI, back ends).

Each error carries a ``user_message`` that is safe to show staff: it never holds
recognised text or pixels. Third-party errors are wrapped at the boundary with
``raise XError(...) from exc`` so the cause stays in the traceback for developers.
"""

from __future__ import annotations


class NoteLassoError(Exception):
    """Base class. ``user_message`` is safe to show staff and holds no patient data."""

    exit_code = 1

    def __init__(self, user_message: str, *, hint: str | None = None) -> None:
        super().__init__(user_message if hint is None else f"{user_message} ({hint})")
        self.user_message = user_message
        self.hint = hint


class DocumentError(NoteLassoError):
    """A document is missing, unreadable, corrupt, encrypted or too large."""

    exit_code = 3


class BackendUnavailableError(NoteLassoError):
    """A back end cannot run here: missing package, GPU, engine or model file."""

    exit_code = 4


class ModelMismatchError(NoteLassoError):
    """An artefact, engine or server config disagrees with the ModelSpec."""

    exit_code = 5


class RemoteInferenceError(NoteLassoError):
    """A remote server failed: unreachable, timed out, TLS, or an error status."""

    exit_code = 6

    def __init__(self, user_message: str, *, status: str | None = None, hint: str | None = None) -> None:
        super().__init__(user_message, hint=hint)
        self.status = status


class InputError(NoteLassoError):
    """The caller passed something unusable (bad region, bad option)."""

    exit_code = 2


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
