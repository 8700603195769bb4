"""Generated clinical note lines with known truth (doses, dates, vitals, drug names), and
planted misreadings of each kind, for measuring triage (``notelasso-train eval --triage``).

Every name and number is made up. Drug names are common generic names (all in the bundled
lexicon); values are drawn inside plausible ranges, so a correct reading raises no check.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

DRUGS = (
    "Metformin Lisinopril Atorvastatin Amlodipine Metoprolol Omeprazole Simvastatin Losartan Albuterol "
    "Gabapentin Hydrochlorothiazide Sertraline Furosemide Levothyroxine Warfarin Prednisone Tramadol "
    "Clopidogrel Pantoprazole Montelukast Escitalopram Carvedilol Meloxicam Trazodone Citalopram "
    "Apixaban Insulin Heparin Amoxicillin Azithromycin Ceftriaxone Vancomycin Ondansetron Morphine "
    "Fentanyl Acetaminophen Ibuprofen Aspirin Spironolactone Digoxin"
).split()
DOSES = {
    "mg": (1, 2.5, 5, 10, 12.5, 20, 25, 40, 50, 75, 81, 100, 125, 250, 325, 500, 850, 1000),
    "mcg": (25, 50, 75, 88, 100, 112, 125),
    "units": (4, 6, 10, 12, 20, 24, 5000),
    "g": (1, 2),
}
ROUTES = ("PO", "IV", "SQ", "IM", "PO", "PO")
FREQS = ("daily", "BID", "TID", "QID", "at bedtime", "q6h", "q8h", "PRN", "once")
WORDS = (
    "Patient reports less fatigue and improved sleep Denies chest pain or shortness of breath "
    "Continue current regimen Recheck labs next visit Tolerating diet well Ambulating without "
    "assistance Wound clean dry intact No new complaints Discussed plan with family"
).split()
NAMES = ("Example", "Sample", "Rivera", "Okafor", "Lindqvist", "Tanaka", "Moreau", "Haddad")


@dataclass(frozen=True, slots=True)
class NoteLine:
    words: tuple[str, ...]
    kind: str  # drug, vitals, date, weight, text


def _dose(rng: random.Random) -> tuple[str, str]:
    unit = rng.choices(list(DOSES), (6, 1, 1, 1))[0]
    value = rng.choice(DOSES[unit])
    return f"{value:g}", unit


def _date(rng: random.Random, year: int) -> str:
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    return f"{month:02d}/{day:02d}/{year}"


#: Lines of one note: its dates share a year (4 dated lines a note).
NOTE_LENGTH = 24


def note_lines(n: int, seed: int = 16) -> list[NoteLine]:
    """``n`` lines of made-up notes (:data:`NOTE_LENGTH` lines each): medication orders,
    vitals, dated events, measures, prose."""
    rng = random.Random(seed)
    out = []
    year = 0
    for i in range(n):
        if i % NOTE_LENGTH == 0:
            year = rng.randint(2019, 2026)
        kind = ("drug", "drug", "vitals", "date", "weight", "text")[i % 6]
        if kind == "drug":
            value, unit = _dose(rng)
            words = [rng.choice(DRUGS), value, unit, rng.choice(ROUTES), *rng.choice(FREQS).split()]
        elif kind == "vitals":
            words = [
                "BP",
                f"{rng.randint(95, 165)}/{rng.randint(55, 100)}",
                "HR",
                str(rng.randint(52, 118)),
                "SpO2",
                f"{rng.randint(90, 100)}%",
                "Temp",
                f"{rng.uniform(97.0, 101.5):.1f}",
                "F",
            ]
        elif kind == "date":
            words = [
                rng.choice(("Seen", "Admitted", "Discharged", "Follow-up")),
                "on",
                _date(rng, year),
                "at",
                f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
                "by",
                "Dr.",
                rng.choice(NAMES),
            ]
        elif kind == "weight":
            words = ["Weight", f"{rng.uniform(45, 120):.1f}", "kg", "Height", str(rng.randint(150, 195)), "cm"]
        else:
            start = rng.randrange(len(WORDS) - 6)
            words = WORDS[start : start + rng.randint(4, 7)]
        out.append(NoteLine(tuple(words), kind))
    return out


#: Look-alike letters a recogniser reads for digits, planted into numbers.
_LETTER_FOR = {"0": "O", "1": "l", "5": "S", "8": "B", "2": "Z"}


def _letter_in(number: str, rng: random.Random) -> str | None:
    spots = [i for i, c in enumerate(number) if c in _LETTER_FOR]
    if not spots:
        return None
    i = rng.choice(spots)
    return number[:i] + _LETTER_FOR[number[i]] + number[i + 1 :]


def plant(line: NoteLine, rng: random.Random, *, far_year: bool = True) -> tuple[int, str, str] | None:
    """One misreading of a dose, date, vital or drug name in ``line``: (word index, the wrong
    reading, what kind), drawn from the misreadings a recogniser makes that a clinical check can
    tell (a look-alike letter in a number, a digit that makes a value impossible, a drug name
    with a letter changed); None for lines without such a value. ``far_year``: a date may get
    a year far from the note's others (plant one a note, so the others still agree)."""
    w = list(line.words)
    if line.kind == "drug":
        if rng.random() < 0.5:
            name = w[0]
            i = rng.randrange(1, len(name) - 1)
            swap = {"o": "c", "l": "i", "i": "l", "n": "m", "e": "c", "a": "o", "r": "n", "t": "f"}
            new = name[:i] + swap.get(name[i], "x") + name[i + 1 :]
            return 0, new, "drug"
        wrong = _letter_in(w[1], rng)
        return (1, wrong, "dose") if wrong else (1, w[1] + "00", "dose") if w[2] == "mcg" else None
    if line.kind == "vitals":
        k = rng.choice((1, 3, 5))
        if k == 3:
            return 3, w[3] + "0", "vital"  # HR 76 -> 760
        if k == 5:
            return 5, "1" + w[5] if len(w[5]) == 3 else "13" + w[5][1:], "vital"  # SpO2 97% -> 197%
        s, d = w[1].split("/")
        return 1, f"{s}/{d[0]}O" if len(d) == 2 else f"{s}0/{d}", "vital"
    if line.kind == "date":
        month, day, year = w[2].split("/")
        choice = rng.random()
        if choice < 0.4:
            return 2, f"{month}/{int(day) + 40}/{year}", "date"  # a day that does not exist
        if choice < 0.7 and far_year:
            return 2, f"{month}/{day}/{int(year) - 30}", "date"  # a year far from the rest
        hh, mm = w[4].split(":")
        return 4, f"{hh}:{6 + int(mm[0]) % 4}{mm[1]}", "date"  # 14:25 -> 14:85
    return None
