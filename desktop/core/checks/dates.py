"""Dates and times that do not exist, and years far from the rest of the document's."""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence

from desktop.core.checks.base import Flag

__all__ = ["DATE", "TIME", "check_dates", "check_times", "years_in"]

#: m/d/y, d/m/y (slashes, points or dashes; 2- or 4-digit years) and ISO y-m-d.
DATE = re.compile(
    r"(?<![\w/.\-])(?:(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"
    r"|(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2}))(?![\w/]|\.\d)"
)
#: hh:mm (optionally :ss, am/pm) not part of a ratio such as 1:1000.
TIME = re.compile(r"(?<![\w:.])(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?(?![\d:])\s?(?P<ampm>[ap]\.?m\.?)?", re.I)

#: Years further than this from every other year of the document are flagged.
YEAR_GAP = 15
#: Other dates needed before a year is judged against them.
MIN_OTHER_YEARS = 2
#: Words before a date that may lie far from the others by right.
_FAR_BY_RIGHT = re.compile(r"(dob|d\.o\.b|born|birth|since|hx|history|diagnosed|dx)\W*$", re.I)


def _year(raw: str) -> int:
    year = int(raw)
    if len(raw) == 2:
        year += 2000 if year < 50 else 1900
    return year


def _valid(month: int, day: int, year: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def years_in(text: str) -> list[int]:
    """The years of the dates in ``text`` (to pass as ``document_years``), less those that may
    lie far from the rest by right (after "DOB", "since", "diagnosed")."""
    return [
        _year(m.group("y") or m.group("iy")) for m in DATE.finditer(text) if not _FAR_BY_RIGHT.search(text[: m.start()])
    ]


def check_dates(text: str, document_years: Sequence[int] = (), *, today_year: int | None = None) -> list[Flag]:
    """Flag dates that exist in no calendar ("13/45/2024", "02/30/2025", "2024-14-01") and
    dates whose year is far (more than :data:`YEAR_GAP` years) from every other year of the
    document (``document_years``, at least :data:`MIN_OTHER_YEARS` of them besides this one;
    this text's own dates included or not) or after
    ``today_year`` + 1. A date after "DOB", "since", "diagnosed" may lie far by right."""
    out = []
    others = list(document_years)
    for m in DATE.finditer(text):
        shown = m.group()
        if m.group("iy"):
            year, month, day = int(m.group("iy")), int(m.group("im")), int(m.group("id"))
            ok = 1 <= month <= 12 and _valid(month, min(day, 31), year) and _valid(month, day, year)
        else:
            a, b, year = int(m.group("a")), int(m.group("b")), _year(m.group("y"))
            ok = _valid(a, b, year) or _valid(b, a, year)  # m/d/y or d/m/y
        if not ok:
            out.append(Flag(m.start(), m.end(), "date", f"'{shown}' is not a date in any calendar: a misread digit?"))
            continue
        far_by_right = bool(_FAR_BY_RIGHT.search(text[: m.start()]))
        if today_year is not None and year > today_year + 1:
            out.append(Flag(m.start(), m.end(), "date", f"'{shown}' lies in the future ({year})."))
        elif not far_by_right and others:
            rest = list(others)
            if year in rest:
                rest.remove(year)  # the date itself, when the caller counted it
            if len(rest) >= MIN_OTHER_YEARS and min(abs(year - y) for y in rest) > YEAR_GAP:
                out.append(
                    Flag(
                        m.start(),
                        m.end(),
                        "date",
                        f"'{shown}': the year {year} is far from the document's other dates "
                        f"({min(rest)}-{max(rest)}): a misread digit?",
                    )
                )
    return out


def check_times(text: str) -> list[Flag]:
    """Flag clock times that do not exist: "25:70", "13:05 pm", "09:60"."""
    out = []
    for m in TIME.finditer(text):
        hour, minute = int(m.group("h")), int(m.group("m"))
        second = int(m.group("s") or 0)
        limit = 12 if m.group("ampm") else 24
        if hour > limit or minute > 59 or second > 59 or (m.group("ampm") and hour == 0) or (hour == 24 and minute):
            shown = m.group().strip()
            out.append(Flag(m.start(), m.start() + len(shown), "date", f"'{shown}' is not a time of day."))
    return out
