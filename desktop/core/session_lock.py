"""One writer per review: an advisory lock on ``<review>.lock`` held while a review is open for editing.

The operating system drops the lock when its holder exits, even on ``kill -9``, so a crash never leaves
a review locked. The lock file says who holds it (user, machine, process, since when) so a second
window can tell the reviewer; it holds no patient data.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import socket
from datetime import datetime
from pathlib import Path
from typing import IO

__all__ = ["SessionLock", "lock_path"]

try:  # POSIX
    import fcntl

    def _try_lock(fh: IO[str]) -> bool:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fh: IO[str]) -> None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

except ImportError:  # pragma: no cover - Windows
    import msvcrt

    def _try_lock(fh: IO[str]) -> bool:
        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True

    def _unlock(fh: IO[str]) -> None:
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]


def lock_path(review: Path) -> Path:
    return review.with_name(review.name + ".lock")


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no USER/LOGNAME and no passwd entry (containers)
        return "unknown"


class SessionLock:
    """The lock of one review file. ``acquire`` returns None when another window holds it."""

    def __init__(self, path: Path, fh: IO[str]) -> None:
        self.path = path
        self._fh: IO[str] | None = fh

    @classmethod
    def acquire(cls, review: Path, user: str | None = None) -> SessionLock | None:
        """Take the lock of ``review`` (a path to a review file) for ``user`` (default: the login name);
        None if another window holds it.

        Raises ``OSError`` when the lock file cannot be created (a read-only folder).
        """
        path = lock_path(review)
        fh = path.open("a+", encoding="utf-8")
        if not _try_lock(fh):
            fh.close()
            return None
        with contextlib.suppress(OSError):
            fh.seek(0)
            fh.truncate()
            holder = {"user": user or _user(), "host": socket.gethostname(), "pid": os.getpid()}
            fh.write(json.dumps({**holder, "since": datetime.now().astimezone().isoformat(timespec="seconds")}))
            fh.flush()
        return cls(path, fh)

    @staticmethod
    def holder(review: Path) -> str:
        """Who holds the lock of ``review``, in words ("clerk1 on ward-pc-3 since 10:42"), or ""."""
        try:
            info = json.loads(lock_path(review).read_text(encoding="utf-8"))
            since = datetime.fromisoformat(info["since"]).strftime("%H:%M on %d %b")
            return f"{info['user']} on {info['host']} since {since}"
        except (OSError, ValueError, KeyError, TypeError):
            return ""

    def release(self) -> None:
        if self._fh is None:
            return
        with contextlib.suppress(OSError):
            _unlock(self._fh)
        self._fh.close()
        self._fh = None
