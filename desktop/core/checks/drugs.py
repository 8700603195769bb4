"""Drug names not in the drug lexicon, with the nearest lexicon names as suggestions.

The lexicon is built from the FDA's UNII Names list (public domain) by
``desktop.core.checks.build_lexicon`` into ``resources/lexicon/drug-names.txt.gz``.
"""

from __future__ import annotations

import gzip
import itertools
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from desktop.core.checks.base import Flag, tokens
from desktop.core.checks.doses import DOSE
from desktop.core.checks.numbers import CONFUSABLE, as_digits, is_number_like, is_unit, numbers_as_digits

__all__ = [
    "LEXICON_PATH",
    "DrugLexicon",
    "check_drug_names",
    "check_numbers_after_drug_names",
    "default_lexicon",
    "edit_distance",
]

LEXICON_PATH = Path(__file__).resolve().parents[3] / "resources" / "lexicon" / "drug-names.txt.gz"

#: Words between a drug name and its dose that are not the name: forms, salts, releases.
_BETWEEN = frozenset(
    "er xl xr sr cr la dr ir od hcl sodium potassium calcium tartrate succinate besylate maleate "
    "sulfate mesylate tab tabs tablet tablets cap caps capsule capsules inj injection po iv im sq sc "
    "oral solution susp suspension".split()
)
#: Capitalised words that stand before a number and a unit but are not drugs.
_NOT_DRUGS = frozenset(
    "take takes taking give given gave start started increase increased decrease decreased reduce "
    "continue continued stop stopped hold held total dose doses each every then and or of to with "
    "bolus infuse infusion drip rate at by from for in on over per was is be daily bid tid qid prn "
    "weight wt ht height temp bp hr rr spo2 sat mrn dob labs lab ns lr d5w water fluids "
    "received receiving administered ordered order".split()
)
_WORD_CORE = re.compile(r"[A-Za-z][A-Za-z\-]{2,}")


def edit_distance(a: str, b: str, limit: int = 99) -> int:
    """Levenshtein distance, giving up (returning ``limit + 1``) once it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


class DrugLexicon:
    """Known drug names (upper case) and those offered as suggestions (tier 1)."""

    def __init__(self, names: dict[str, int]) -> None:
        self._names = names
        self._by_length: dict[int, list[str]] = {}
        for name, tier in names.items():
            if tier == 1:
                self._by_length.setdefault(len(name), []).append(name)

    @classmethod
    def from_names(cls, names: Iterable[str]) -> DrugLexicon:
        return cls({n.upper(): 1 for n in names})

    @classmethod
    def load(cls, path: Path = LEXICON_PATH) -> DrugLexicon:
        names: dict[str, int] = {}
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                name, _, tier = line.rstrip("\n").partition("\t")
                names[name] = int(tier or 1)
        return cls(names)

    def names(self) -> list[str]:
        """Every known name (upper case)."""
        return list(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word.upper() in self._names

    def nearest(self, word: str, n: int = 3, max_distance: int = 2) -> list[str]:
        """Up to ``n`` suggested names within ``max_distance`` edits, nearest first, in the
        word's own case style (Capitalised, UPPER or lower)."""
        key = word.upper()
        found: list[tuple[int, str]] = []
        for length in range(len(key) - max_distance, len(key) + max_distance + 1):
            for name in self._by_length.get(length, ()):
                if name[0] != key[0] and name[-1] != key[-1]:
                    continue  # a misread keeps one end of the word
                d = edit_distance(key, name, max_distance)
                if d <= max_distance:
                    found.append((d, name))
        found.sort()
        return [_in_case_of(word, name) for _, name in found[:n]]


def _in_case_of(word: str, name: str) -> str:
    if word.isupper():
        return name
    if word.islower():
        return name.lower()
    return name.capitalize()


@cache
def default_lexicon() -> DrugLexicon:
    """The bundled lexicon (read once)."""
    return DrugLexicon.load()


def _drug_positions(text: str) -> list[tuple[int, int, str]]:
    """(start, end, word) of each word standing where a drug name stands: right before its
    dose ("Metoprolol 25 mg", "Metoprolol tartrate 25 mg", "Lasix 40mg")."""
    words = tokens(text)
    # Doses are found with look-alike letters taken for digits ("1O mg"): the name before a
    # misread dose is as doubtful as the dose (same length, so the offsets hold).
    dose_starts = {m.start() for m in DOSE.finditer(numbers_as_digits(text))}
    # ... and a number before a unit misread by a letter ("25 rng").
    dose_starts |= {
        tok.start for tok, nxt in itertools.pairwise(words) if is_number_like(tok.text) and is_unit(nxt.text)
    }
    out = []
    for i, tok in enumerate(words):
        if tok.start not in dose_starts:
            continue
        j = i - 1
        while j >= 0 and words[j].text.strip(",;:()").lower() in _BETWEEN:
            j -= 1
        if j < 0:
            continue
        m = _WORD_CORE.search(words[j].text)
        if m is None or m.group().lower() in _NOT_DRUGS or len(m.group()) < 4:
            continue
        out.append((words[j].start + m.start(), words[j].start + m.end(), m.group()))
    return out


def check_drug_names(text: str, lexicon: DrugLexicon | None = None) -> list[Flag]:
    """Flag a word that stands where a drug name stands (before its dose) but is in no drug
    lexicon, with the nearest lexicon names as suggestions ("Metoprolcl 25 mg" -> Metoprolol)."""
    lex = lexicon if lexicon is not None else default_lexicon()
    out = []
    for start, end, word in _drug_positions(text):
        if word in lex:
            continue
        near = tuple(lex.nearest(word))
        hint = f"; nearest: {', '.join(near)}" if near else ""
        out.append(Flag(start, end, "drug", f"'{word}' is not a drug name the lexicon knows{hint}.", near))
    return out


_EDGE = "()[]{},;:!?\"'"


def check_numbers_after_drug_names(text: str, lexicon: DrugLexicon | None = None) -> list[Flag]:
    """Flag the dose of a drug the lexicon knows when it reads as a number with a look-alike
    letter ("Gabapentin B1", "Simvastatin l"): a dose is expected there even when its unit was
    misread too, so the dose check cannot see it. A word with a digit and a letter for a digit,
    or one look-alike letter alone; forms and salts between the name and the dose are skipped,
    and a word followed by a number is taken as part of the name ("Vitamin B12 1000 mcg")."""
    lex = lexicon if lexicon is not None else default_lexicon()
    words = tokens(text)
    out = []
    for i, tok in enumerate(words):
        name = tok.text.strip(_EDGE + ".")
        if len(name) < 4 or name.lower() in _NOT_DRUGS or name not in lex:
            continue
        j = i + 1
        while j < len(words) and words[j].text.strip(",;:()").lower() in _BETWEEN:
            j += 1
        if j == len(words):
            continue
        dose = words[j].text.strip(_EDGE)
        after = words[j + 1].text.strip(_EDGE) if j + 1 < len(words) else ""
        if after and after[0].isdigit() and is_number_like(after):
            continue  # "Vitamin B12 1000 mcg": the number follows, the word is the name's
        letters = [c for c in dose if c in CONFUSABLE]
        one_letter = len(dose) == 1 and bool(letters)
        if not letters or not (one_letter or any(c.isdigit() for c in dose)) or not is_number_like(as_digits(dose)):
            continue
        start = words[j].start + words[j].text.index(dose)
        fixed = as_digits(dose)
        reason = f"'{dose}' stands where {name}'s dose stands but holds a letter: is it {fixed}?"
        out.append(Flag(start, start + len(dose), "number", reason, (fixed,)))
    return out
