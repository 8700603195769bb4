"""QSettings behind the one settings table of ``desktop.core.settings``; plus recent files.

Nothing here names a setting: every key, type and default comes from the table, which is generated
from the back ends' option schema and the app's own settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from desktop.core import settings as table

__all__ = ["SettingsStore"]

MAX_RECENT = 10


class SettingsStore:
    """Typed access to the app settings. ``overrides`` (command-line flags) win for this run only."""

    def __init__(self, path: Path | None = None, overrides: dict[str, Any] | None = None) -> None:
        if path is not None:
            self._qs = QSettings(str(path), QSettings.Format.IniFormat)
        else:
            self._qs = QSettings("NoteLasso", "NoteLasso")
        self.overrides = dict(overrides or {})

    def get(self, key: str) -> Any:
        if key in self.overrides:
            return self.overrides[key]
        setting = table.setting(key)
        return setting.coerce(self._qs.value(key, setting.default))

    def set(self, key: str, value: Any) -> None:
        """Store a value (from the settings dialog); it replaces any command-line override."""
        self.overrides.pop(key, None)
        self._qs.setValue(key, table.coerce(key, value))

    def values(self) -> dict[str, Any]:
        """settings key -> value for every setting of the table (overrides, stored, or default)."""
        return {s.key: self.get(s.key) for s in table.settings()}

    def sync(self) -> None:
        self._qs.sync()

    # -- recent files and window state --------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self._qs.value("recent/files", [])
        if isinstance(value, str):
            value = [value]
        files, seen = [], set()  # one entry a file, however its path was spelt when it was added
        for f in (str(v) for v in value if v) if isinstance(value, list) else ():
            if _same_file(f) not in seen:
                seen.add(_same_file(f))
                files.append(f)
        return files

    def add_recent(self, path: Path) -> None:
        p = str(Path(path).resolve())
        files = [f for f in self.recent_files() if _same_file(f) != p]
        self._qs.setValue("recent/files", [p, *files][:MAX_RECENT])

    def raw(self, key: str, default: Any = None) -> Any:
        return self._qs.value(key, default)

    def set_raw(self, key: str, value: Any) -> None:
        self._qs.setValue(key, value)


def _same_file(path: str) -> str:
    """A recent entry's identity: its resolved path (a link or a ``..`` spelling is the same file)."""
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError):
        return path
