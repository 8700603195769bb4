"""Clinical checks: small pure functions over a region's text, each returning :class:`Flag`
spans with a reason a reviewer can read. They suggest; they never change the text.

- :func:`check_letters_in_numbers`: "1O mg", "BP l2O/8O" (O/0, l/1, I/1, S/5, B/8 ...)
- :func:`check_doses`: magnitudes no order holds for the unit; ISMP trailing zero and bare point
- :func:`check_dates`, :func:`check_times`: dates and times that do not exist, far-off years
- :func:`check_vitals`: vital signs out of human range
- :func:`check_drug_names`: a word in a drug's place that no drug lexicon knows, with the nearest names
- :func:`check_numbers_after_drug_names`: a known drug's dose with a look-alike letter ("Gabapentin B1")
"""

from __future__ import annotations

from collections.abc import Sequence

from desktop.core.checks.base import Flag, Token, flags_by_word, tokens
from desktop.core.checks.dates import check_dates, check_times, years_in
from desktop.core.checks.doses import check_doses, find_doses
from desktop.core.checks.drugs import DrugLexicon, check_drug_names, check_numbers_after_drug_names, default_lexicon
from desktop.core.checks.numbers import check_letters_in_numbers
from desktop.core.checks.vitals import check_vitals

__all__ = [
    "DrugLexicon",
    "Flag",
    "Token",
    "check_dates",
    "check_doses",
    "check_drug_names",
    "check_letters_in_numbers",
    "check_numbers_after_drug_names",
    "check_times",
    "check_vitals",
    "default_lexicon",
    "find_doses",
    "flags_by_word",
    "run_checks",
    "tokens",
    "years_in",
]


def run_checks(
    text: str,
    *,
    document_years: Sequence[int] = (),
    lexicon: DrugLexicon | None = None,
    today_year: int | None = None,
) -> list[Flag]:
    """Every clinical check over ``text``, in the order of the text.

    ``document_years``: the years of the document's other dates (``years_in`` over its other
    regions), so a year far from all of them is flagged."""
    flags = [
        *check_letters_in_numbers(text),
        *check_doses(text),
        *check_dates(text, document_years, today_year=today_year),
        *check_times(text),
        *check_vitals(text),
        *check_drug_names(text, lexicon),
        *check_numbers_after_drug_names(text, lexicon),
    ]
    unique = {(f.start, f.end, f.check): f for f in reversed(flags)}  # two checks, one span: said once
    return sorted(unique.values(), key=lambda f: (f.start, f.end, f.check))
