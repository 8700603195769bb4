"""Numbers that hold letters (O/0, l/1, I/1, S/5, B/8, ...) where a number is expected."""

from __future__ import annotations

import re

from desktop.core.checks.base import Flag, Token, tokens

__all__ = [
    "CONFUSABLE",
    "NUMBER_CONTEXT",
    "UNITS",
    "as_digits",
    "check_letters_in_numbers",
    "is_number_like",
    "is_unit",
    "numbers_as_digits",
]

#: Letters a recogniser reads for a digit, and the digit meant.
CONFUSABLE = {
    "O": "0", "o": "0", "D": "0", "Q": "0",
    "l": "1", "I": "1", "i": "1", "|": "1",
    "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "G": "6", "b": "6", "g": "9", "q": "9",
}  # fmt: skip

#: Words after which a number is expected (vitals, dates, ids).
NUMBER_CONTEXT = frozenset(
    "bp b/p hr pulse p rr resp t temp spo2 sat o2sat wt weight ht height mrn dob date id no no. # "
    "acct account visit admitted discharged seen on at dose x q".split()
)

#: Units a number stands before.
UNITS = frozenset(
    "mg mcg ug µg g gm kg ml l units unit u iu meq mmol % mmhg bpm f c cm mm lb lbs mg/kg mcg/kg mg/kg/day "
    "mcg/kg/min mcg/kg/h mg/h ml/h ml/hr units/h units/kg tab tabs tablet tablets cap caps puffs "
    "mg/dl mmol/l".split()
)

#: Words that hold digits and letters by right, never flagged.
KNOWN_ALNUM = frozenset(
    "b12 b6 b1 o2 co2 spo2 hba1c a1c t3 t4 ft4 tsh2 il6 g6pd cd4 cd8 h2o 1st 2nd 3rd 4th 5th 6th 7th 8th 9th "
    "q1h q2h q4h q6h q8h q12h q24h x1 x2 x3 x4 x5 x7 x10 x14 k2 d3 d5w ns0 s1 s2 s3 s4 l1 l2 l3 l4 l5 "
    "c1 c2 c3 c4 c5 c6 c7 t1 t2 t10 t11 t12 g1p1 g2p1 g2p2 g1p0".split()
)

_EDGE = "()[]{},;:!?\"'"
_GLUED_UNIT = re.compile(r"(.+?)(mg|mcg|ug|kg|mL|ml|units?|IU|mEq|mmol|cm|mm|lbs?|mmHg|bpm|g)")
_NUMERIC = re.compile(r"[0-9]+([.,:/\-][0-9]+)*%?|\.[0-9]+")


def as_digits(core: str) -> str:
    """``core`` with every confusable letter replaced by the digit it may stand for."""
    return "".join(CONFUSABLE.get(c, c) for c in core)


def is_number_like(word: str) -> bool:
    """A number as written, or as misread with look-alike letters ("5O0", "l2.5")."""
    core = word.strip(_EDGE).rstrip(".")  # "27." : a number with a speck read after it
    return bool(core) and any(c.isdigit() for c in core) and bool(_NUMERIC.fullmatch(as_digits(core)))


def numbers_as_digits(text: str) -> str:
    """``text`` with the look-alike letters of number-like words taken for digits ("1O mg" ->
    "10 mg"); every other word as it is. Same length, so offsets hold."""
    chars = list(text)
    words = tokens(text)
    for i, tok in enumerate(words):
        core, start = _core(tok)
        if core.lower() in UNITS and not _before_unit(words, i):
            continue  # "g", "l": a unit, not a misread digit
        if core and any(c in CONFUSABLE for c in core) and _NUMERIC.fullmatch(as_digits(core)):
            chars[start : start + len(core)] = as_digits(core)
    return "".join(chars)


def _core(tok: Token) -> tuple[str, int]:
    """The token without edge punctuation, and where it starts in the text."""
    text = tok.text
    left = len(text) - len(text.lstrip(_EDGE))
    core = text.strip(_EDGE)
    if core.endswith(".") and not re.search(r"\d\.$", core):
        core = core[:-1]
    glued = _GLUED_UNIT.fullmatch(core)
    if glued and any(c.isdigit() for c in glued.group(1)):
        core = glued.group(1)  # "5Omg": the number before a unit written without a space
    return core, tok.start + left


#: Dose units a misread unit is told from by one letter ("rng", "mq", "unlts").
_DOSE_UNITS = ("mg", "mcg", "ml", "units", "meq", "mmol")


def _one_edit(a: str, b: str) -> bool:
    """``a`` and ``b`` differ by at most one letter changed, added or dropped."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) <= 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def is_unit(word: str) -> bool:
    """A unit, or a dose unit misread by one letter (two letters or more: "rng" is not)."""
    core = word.strip(_EDGE).lower()
    return core in UNITS or (len(core) >= 3 and any(_one_edit(core, u) for u in _DOSE_UNITS))


def _before_unit(words: list[Token], i: int) -> bool:
    return i + 1 < len(words) and is_unit(words[i + 1].text)


def _expects_number(words: list[Token], i: int) -> bool:
    prev = words[i - 1].text.strip(_EDGE).lower() if i else ""
    nxt = words[i + 1].text.strip(_EDGE).lower() if i + 1 < len(words) else ""
    return prev in NUMBER_CONTEXT or nxt in UNITS or _before_unit(words, i)


def check_letters_in_numbers(text: str) -> list[Flag]:
    """Flag words that read as a number once a look-alike letter is taken for its digit: "1O",
    "5OO", "l2/O3/2024", "9S%"; or letters alone where a number is expected ("BP l2O/8O",
    "SO mg"). Words that hold letters by right (B12, SpO2, q4h, 2nd) are left alone."""
    words = tokens(text)
    out = []
    for i, tok in enumerate(words):
        core, start = _core(tok)
        if not core or (core.lower() in UNITS | KNOWN_ALNUM and not _before_unit(words, i)):
            continue
        letters = [c for c in core if c in CONFUSABLE]
        if not letters or not _NUMERIC.fullmatch(as_digits(core)):
            continue
        has_digit = any(c.isdigit() for c in core)
        leading_only = core[0] in CONFUSABLE and all(c.isdigit() or c in ".,:/-%" for c in core[1:])
        expected = _expects_number(words, i)
        if not has_digit and not expected:
            continue  # a word like "Is", "SOS" or "lO" alone: no sign a number is meant
        if leading_only and not expected:
            continue  # "B12", "S1"-like names
        fixed = as_digits(core)
        shown = ", ".join(f"{c} for {CONFUSABLE[c]}" for c in dict.fromkeys(letters))
        out.append(
            Flag(
                start,
                start + len(core),
                "number",
                f"'{core}' reads as a number with a letter in it ({shown}): is it {fixed}?",
                (fixed,),
            )
        )
    return out
