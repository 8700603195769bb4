"""Vital signs outside what a living person shows."""

from __future__ import annotations

import re

from desktop.core.checks.base import Flag

__all__ = ["VITAL_RANGES", "check_vitals"]

#: (lowest, highest) a living person is recorded with; a flag means "look again".
VITAL_RANGES: dict[str, tuple[float, float]] = {
    "systolic": (50, 260),
    "diastolic": (20, 160),
    "heart rate": (20, 250),
    "respiratory rate": (4, 70),
    "SpO2": (50, 100),
    "temperature F": (85, 110),
    "temperature C": (29, 43),
    "weight kg": (0.3, 350),
    "weight lb": (0.7, 800),
    "height cm": (25, 250),
}

_NUM = r"(\d{1,4}(?:\.\d+)?)"
_SEP = r"[\s:=]*"
_BP = re.compile(rf"\b(?:BP|B/P|blood pressure|NIBP|ABP){_SEP}(\d{{1,4}})\s?/\s?(\d{{1,4}})\b", re.I)
_SIMPLE = [
    ("heart rate", re.compile(rf"\b(?:HR|pulse|P|heart rate){_SEP}{_NUM}(?!\s?/)\b", re.I), ""),
    ("respiratory rate", re.compile(rf"\b(?:RR|resp(?:irations)?|respiratory rate){_SEP}{_NUM}\b", re.I), ""),
    ("SpO2", re.compile(rf"\b(?:SpO2|SaO2|O2 ?sat|sat(?:uration)?){_SEP}{_NUM}\s?%?", re.I), "%"),
]
_TEMP = re.compile(rf"\b(?:T|temp|temperature|tmax){_SEP}{_NUM}\s?°?\s?([FC])?\b", re.I)
_WEIGHT = re.compile(rf"\b(?:wt|weight){_SEP}{_NUM}\s?(kg|lbs?)\b", re.I)
_HEIGHT = re.compile(rf"\b(?:ht|height){_SEP}{_NUM}\s?(cm)\b", re.I)


def _label(what: str) -> str:
    head, _, tail = what.rpartition(" ")
    return head if tail in ("F", "C", "kg", "lb", "cm") else what


def _flag(m: re.Match[str], group: int, what: str, value: float, unit: str = "") -> Flag | None:
    low, high = VITAL_RANGES[what]
    if low <= value <= high:
        return None
    shown = m.group().strip()
    return Flag(
        m.start(group),
        m.end(group),
        "vital",
        f"'{shown}': a {_label(what)} of {value:g}{unit} is outside the human range "
        f"({low:g}-{high:g}{unit}): a misread digit?",
    )


def check_vitals(text: str) -> list[Flag]:
    """Flag vital signs out of human range: BP 300/20, HR 400, SpO2 130 %, Temp 120 F, and a
    systolic pressure not above the diastolic."""
    found: list[Flag | None] = []
    for m in _BP.finditer(text):
        sys_, dia = float(m.group(1)), float(m.group(2))
        found += [_flag(m, 1, "systolic", sys_), _flag(m, 2, "diastolic", dia)]
        if sys_ <= dia and not any(found[-2:]):
            found.append(Flag(m.start(1), m.end(2), "vital", f"'{m.group()}': systolic not above diastolic."))
    for what, pattern, unit in _SIMPLE:
        found += [_flag(m, 1, what, float(m.group(1)), unit) for m in pattern.finditer(text)]
    for m in _TEMP.finditer(text):
        value, scale = float(m.group(1)), (m.group(2) or "").upper()
        if not scale:  # no unit: whichever scale the number fits
            scale = "C" if value < 60 else "F"
        found.append(_flag(m, 1, f"temperature {scale}", value, f" {scale}"))
    for m in _WEIGHT.finditer(text):
        found.append(_flag(m, 1, "weight kg" if m.group(2).lower() == "kg" else "weight lb", float(m.group(1))))
    for m in _HEIGHT.finditer(text):
        found.append(_flag(m, 1, "height cm", float(m.group(1))))
    return [f for f in found if f is not None]
