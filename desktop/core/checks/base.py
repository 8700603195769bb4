"""What a clinical check returns: a flagged span of the text with a reason a reviewer can read."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Flag", "Token", "flags_by_word", "tokens"]


@dataclass(frozen=True, slots=True)
class Flag:
    """``text[start:end]`` looks wrong for a reason (``check``: number, dose, date, vital, drug).

    ``suggestions`` are readings a reviewer may take with one key; a check never changes text."""

    start: int
    end: int
    check: str
    reason: str
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Token:
    """A whitespace-separated word of the text and its character span."""

    text: str
    start: int
    end: int
    index: int


_WORD = re.compile(r"\S+")


def tokens(text: str) -> list[Token]:
    return [Token(m.group(), m.start(), m.end(), i) for i, m in enumerate(_WORD.finditer(text))]


def flags_by_word(text: str, flags: Iterable[Flag]) -> dict[int, list[Flag]]:
    """Word index (as :func:`tokens` counts) -> the flags whose span overlaps that word."""
    words: Sequence[Token] = tokens(text)
    out: dict[int, list[Flag]] = {}
    for flag in flags:
        for tok in words:
            if tok.start < flag.end and flag.start < tok.end:
                out.setdefault(tok.index, []).append(flag)
    return out
