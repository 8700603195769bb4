"""Doses: a number and a unit, with a magnitude a prescriber could mean, written as ISMP asks."""

from __future__ import annotations

import re
from dataclasses import dataclass

from desktop.core.checks.base import Flag

__all__ = ["DOSE", "DOSE_RANGES", "Dose", "check_doses", "find_doses"]

#: Largest (and smallest) plausible single dose or rate per unit, for adults and children alike.
#: Wide on purpose: a flag means "look again", so only magnitudes no order would hold are flagged.
DOSE_RANGES: dict[str, tuple[float, float]] = {
    "mg": (0.01, 5000),
    "mcg": (0.1, 5000),
    "g": (0.01, 30),
    "ml": (0.01, 5000),
    "l": (0.05, 10),
    "units": (0.1, 100000),
    "meq": (0.5, 400),
    "mmol": (0.1, 400),
    "mg/kg": (0.001, 150),
    "mcg/kg": (0.01, 500),
    "units/kg": (0.1, 1000),
    "mg/kg/day": (0.01, 300),
    "mg/kg/h": (0.001, 50),
    "mcg/kg/min": (0.01, 300),
    "mcg/kg/h": (0.01, 500),
    "mg/h": (0.01, 1000),
    "ml/h": (0.1, 2000),
    "units/h": (0.1, 5000),
    "mg/day": (0.01, 10000),
    "mcg/min": (0.1, 2000),
}

_UNIT_ALIASES = {
    "ug": "mcg", "µg": "mcg", "gm": "g", "ml": "ml", "cc": "ml", "unit": "units", "u": "units",
    "iu": "units", "ml/hr": "ml/h", "units/hr": "units/h", "mg/hr": "mg/h", "mcg/kg/hr": "mcg/kg/h",
    "mg/kg/hr": "mg/kg/h",
}  # fmt: skip

_UNIT_RE = (
    r"mcg/kg/min|mcg/kg/hr?|mg/kg/day|mg/kg/hr?|mg/kg|mcg/kg|units/kg|units/hr?|mg/hr?|ml/hr?|mg/day|mcg/min"
    r"|mcg|µg|ug|mg|gm|g|ml|cc|l|units?|iu|u|meq|mmol"
)
#: A number (digits, maybe a point; or a bare leading point) and a dose unit after it.
DOSE = re.compile(
    rf"(?<![\w.])(?P<num>\d+(?:,\d{{3}})*(?:\.\d+)?|\.\d+)\s?(?P<unit>{_UNIT_RE})(?![\w/])", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Dose:
    start: int
    end: int
    number: str
    unit: str  # normalised: mg, mcg, g, ml, units, mg/kg, mcg/kg/min, ...

    @property
    def value(self) -> float:
        return float(self.number.replace(",", ""))


def _unit(raw: str) -> str:
    low = raw.lower()
    return _UNIT_ALIASES.get(low, low)


def find_doses(text: str) -> list[Dose]:
    return [Dose(m.start(), m.end(), m.group("num"), _unit(m.group("unit"))) for m in DOSE.finditer(text)]


def _plain(value: float) -> str:
    return f"{value:g}"


def check_doses(text: str) -> list[Flag]:
    """Flag doses whose magnitude no order would hold for the unit ("5000 mcg/kg/min", "0 mg"),
    and the forms ISMP lists as error-prone: a trailing zero ("5.0 mg", read as 50) and a
    leading point without its zero (".5 mg", read as 5)."""
    out = []
    for dose in find_doses(text):
        shown = text[dose.start : dose.end]
        if dose.number.startswith("."):
            out.append(
                Flag(
                    dose.start,
                    dose.end,
                    "dose",
                    f"'{shown}': a dose without a zero before its point is read as {dose.number[1:]} "
                    f"(ISMP): write 0{dose.number}; check the scan.",
                    (f"0{shown}",),
                )
            )
        elif re.fullmatch(r"\d+\.0+", dose.number):
            out.append(
                Flag(
                    dose.start,
                    dose.end,
                    "dose",
                    f"'{shown}': a trailing zero is read as ten times the dose (ISMP): is it "
                    f"{_plain(dose.value)} {dose.unit}?",
                    (shown.replace(dose.number, _plain(dose.value), 1),),
                )
            )
        low, high = DOSE_RANGES.get(dose.unit, (0.0, float("inf")))
        if dose.value == 0 or not low <= dose.value <= high:
            out.append(
                Flag(
                    dose.start,
                    dose.end,
                    "dose",
                    f"'{shown}' is outside any usual dose in {dose.unit} ({_plain(low)}-{_plain(high)}): "
                    "a misread digit or point?",
                )
            )
    return out
