"""The documents of this working session (Qt-free): what was opened or queued, and what is known of each.

Files come from Open… (several at once) or a drop of files and folders. :func:`gather_documents`
turns what was dropped into the documents to add: a folder gives its supported files, sorted as a
person reads numbers ("p2" before "p10"), then those of its subfolders, never entering hidden ones; files the
app cannot open are named back, never dropped silently. :class:`DocumentList` keeps one entry per
file, in the order added, with its pages and review counts once the document has been opened, or
why it could not be. The list lives for the session only (decision 019).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from inference.documents import IMAGE_SUFFIXES, PDF_SUFFIXES

__all__ = ["SUPPORTED_SUFFIXES", "DocumentEntry", "DocumentList", "Gathered", "gather_documents", "reading_order"]

#: Files a drop or a folder adds: PDF, TIFF, PNG, JPEG (and BMP, which Open… offers too).
SUPPORTED_SUFFIXES = frozenset(IMAGE_SUFFIXES | PDF_SUFFIXES)

_DIGITS = re.compile(r"(\d+)")


def reading_order(path: Path) -> tuple[object, ...]:
    """A sort key that orders numbers by value: ``scan2.png`` before ``scan10.png``; case ignored."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold()) for part in _DIGITS.split(str(path)) if part
    )


@dataclass(frozen=True, slots=True)
class Gathered:
    """What a drop (or a set of chosen paths) holds: documents to add, in order, and files skipped."""

    files: tuple[Path, ...]
    unsupported: tuple[Path, ...]

    def describe_skipped(self) -> str:
        """One sentence naming the skipped files ('' when none), for the status bar."""
        if not self.unsupported:
            return ""
        names = ", ".join(p.name for p in self.unsupported[:3]) + (" …" if len(self.unsupported) > 3 else "")
        n = len(self.unsupported)
        return f"Skipped {n} file{'s' if n != 1 else ''} that cannot be opened as a scanned note: {names}"


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _folder_files(folder: Path) -> tuple[list[Path], list[Path]]:
    found: list[Path] = []
    skipped: list[Path] = []
    for root, dirs, names in os.walk(folder):  # top down: a folder's files, then each subfolder's
        dirs[:] = sorted((d for d in dirs if not _is_hidden(d)), key=lambda d: reading_order(Path(d)))
        for name in sorted(names, key=lambda n: reading_order(Path(n))):
            if _is_hidden(name):  # never .DS_Store, ._scan.png, nor into .git or .thumbnails
                continue
            path = Path(root) / name
            (found if path.suffix.lower() in SUPPORTED_SUFFIXES else skipped).append(path)
    return found, skipped


def gather_documents(paths: Iterable[str | Path]) -> Gathered:
    """The documents in ``paths``, in the order given; a folder stands for its supported files.

    A file whose suffix the app does not open (or that does not exist) is listed as unsupported;
    a file met twice is kept once.
    """
    files: list[Path] = []
    unsupported: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found, skipped = _folder_files(path)
            files += found
            unsupported += skipped
        elif path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES:
            files.append(path)
        else:
            unsupported.append(path)
    unique: dict[str, Path] = {}  # resolved -> as given, first one kept
    for f in files:
        unique.setdefault(_real(f), f)
    return Gathered(tuple(unique.values()), tuple(unsupported))


@dataclass(slots=True)
class DocumentEntry:
    """One document of the session. Counts are None until the document has been opened."""

    path: Path
    pages: int | None = None
    regions: int | None = None
    reviewed: int | None = None
    error: str = ""  # why it could not be opened, last time it was tried ('' if it opened)

    def describe(self) -> str:
        """The entry's second line: pages and review progress, or why it would not open."""
        if self.error:
            return f"Could not open: {self.error}"
        if self.pages is None:
            return "Not opened yet"
        text = f"{self.pages} page{'s' if self.pages != 1 else ''}"
        if self.regions:
            text += f" · {self.regions} region{'s' if self.regions != 1 else ''}, {self.reviewed or 0} reviewed"
        elif self.regions == 0:
            text += " · no regions yet"
        return text


class DocumentList:
    """The session's documents in the order added, one entry per file, and which one is open."""

    def __init__(self) -> None:
        self.entries: list[DocumentEntry] = []
        self.current: int | None = None

    def __len__(self) -> int:
        return len(self.entries)

    def index_of(self, path: str | Path) -> int | None:
        """The entry of ``path`` (however it is spelt), or None."""
        target = _real(path)
        return next((i for i, e in enumerate(self.entries) if _real(e.path) == target), None)

    def add(self, paths: Iterable[str | Path]) -> list[int]:
        """Append the paths not listed yet; returns the index of each path given (new or already there)."""
        out = []
        for path in paths:
            index = self.index_of(path)
            if index is None:
                self.entries.append(DocumentEntry(Path(path)))
                index = len(self.entries) - 1
            out.append(index)
        return out

    def step(self, delta: int, start: int | None = None) -> int | None:
        """The entry ``delta`` away from ``start`` (default: the open one), without wrapping; None
        past either end. With no start and nothing open, the first (or last) entry."""
        if not self.entries:
            return None
        if start is None:
            start = self.current
        if start is None:
            start = -1 if delta > 0 else len(self.entries)
        index = start + delta
        return index if 0 <= index < len(self.entries) else None


def _real(path: str | Path) -> str:
    """The path with links followed as far as they go: a looping link is itself, never an error."""
    return os.path.realpath(path)
