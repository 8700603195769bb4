"""Each clinical check flags what a misreading leaves (true positives) and leaves a correct
note alone (true negatives)."""

from __future__ import annotations

import pytest

from desktop.core.checks import (
    DrugLexicon,
    check_dates,
    check_doses,
    check_drug_names,
    check_letters_in_numbers,
    check_numbers_after_drug_names,
    check_times,
    check_vitals,
    default_lexicon,
    flags_by_word,
    run_checks,
    years_in,
)

CLEAN_NOTE = [
    "Metformin 500 mg PO BID",
    "Lisinopril 10 mg PO daily",
    "Atorvastatin 20 mg PO at bedtime",
    "Metoprolol tartrate 25 mg PO BID",
    "Insulin glargine 20 units at bedtime",
    "Heparin 5000 units SQ q8h",
    "Levothyroxine 88 mcg daily",
    "BP 128/82   HR 76   Temp 98.4 F   SpO2 97%",
    "Weight 82.5 kg   Height 175 cm",
    "MRN: 000-TEST-0042      DOB: 01/01/1970",
    "Visit date: 03/14/2025  Provider: Dr. J. Example",
    "Recheck HbA1c in 3 months. Follow up in 12 weeks.",
    "Vitamin B12 1000 mcg daily; O2 2 L; q4h PRN; 2nd dose",
    "Seen at 14:30, again at 09:05 am",
    "Type 2 diabetes, stable. Continue current regimen.",
]


@pytest.mark.parametrize("line", CLEAN_NOTE)
def test_a_correct_note_raises_no_flag(line: str) -> None:
    # GIVEN a correctly read line of a note WHEN every check runs THEN nothing is flagged
    assert run_checks(line, document_years=[2025, 1970]) == []


@pytest.mark.parametrize(
    ("text", "word", "fixed"),
    [
        ("Metformin 5O0 mg PO BID", "5O0", "500"),
        ("Lasix SO mg", "SO", "50"),
        ("BP l2O/8O", "l2O/8O", "120/80"),
        ("DOB: O1/12/1970", "O1/12/1970", "01/12/1970"),
        ("Warfarin 5Omg", "5O", "50"),
        ("MRN 00I234B", "00I234B", "0012348"),
        ("SpO2 9S%", "9S%", "95%"),
        ("Thiamine B1 mg", "B1", "81"),
    ],
)
def test_letters_in_numbers_are_flagged_with_the_digits_meant(text: str, word: str, fixed: str) -> None:
    flags = check_letters_in_numbers(text)
    assert [text[f.start : f.end] for f in flags] == [word]
    assert flags[0].suggestions == (fixed,)
    assert "letter" in flags[0].reason


@pytest.mark.parametrize("text", ["Is it SOS?", "Vitamin B12 1000 mcg", "SpO2 97%", "q4h", "lO", "Take 1 g"])
def test_words_that_hold_letters_by_right_are_not_flagged(text: str) -> None:
    assert check_letters_in_numbers(text) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Give .5 mg IV", "ISMP"),
        ("Warfarin 5.0 mg", "trailing zero"),
        ("dopamine 5000 mcg/kg/min", "outside"),
        ("Metformin 50000 mg", "outside"),
        ("Cefazolin 200 g IV", "outside"),
        ("Heparin 0 units", "outside"),
        ("Vancomycin 20 mg/kg", None),
    ],
)
def test_doses(text: str, kind: str | None) -> None:
    flags = check_doses(text)
    if kind is None:
        assert flags == []
    else:
        assert flags and all(f.check == "dose" for f in flags)
        assert any(kind in f.reason for f in flags)


def test_ismp_flags_suggest_the_safe_form_without_changing_the_text() -> None:
    text = "Give .5 mg and 5.0 mg"
    suggestions = [f.suggestions for f in check_doses(text)]
    assert suggestions == [("0.5 mg",), ("5 mg",)]
    assert text == "Give .5 mg and 5.0 mg"


@pytest.mark.parametrize("text", ["Seen 13/45/2024", "Due 02/30/2025", "On 2024-14-01", "31.04.2024"])
def test_dates_that_do_not_exist_are_flagged(text: str) -> None:
    (flag,) = check_dates(text)
    assert flag.check == "date" and "not a date" in flag.reason


@pytest.mark.parametrize("text", ["Seen 03/14/2025", "Seen 14/03/2025", "On 2024-02-29", "29.02.2024", "BP 120/80"])
def test_real_dates_are_not_flagged(text: str) -> None:
    assert check_dates(text, [2025, 2024]) == []


def test_a_year_far_from_the_documents_other_years_is_flagged_but_a_birth_date_is_not() -> None:
    years = [2024, 2024, 2025]
    (flag,) = check_dates("Follow-up on 03/14/1994", years)
    assert "far from the document's other dates" in flag.reason
    assert check_dates("DOB: 03/14/1954", years) == []
    assert check_dates("Follow-up on 03/14/2025", years) == []
    assert years_in("seen 03/14/25 and 2024-01-02") == [2025, 2024]


def test_a_date_in_the_future_is_flagged_when_the_year_is_known() -> None:
    assert check_dates("Seen 03/14/2052", today_year=2026)
    assert check_dates("Seen 03/14/2026", today_year=2026) == []


@pytest.mark.parametrize(
    ("text", "bad"), [("at 25:70", True), ("at 09:60", True), ("13:05 pm", True), ("23:59", False)]
)
def test_times(text: str, bad: bool) -> None:
    assert bool(check_times(text)) is bad
    assert check_times("dilute 1:1000") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [("BP 300/20", "300"), ("HR 400", "400"), ("SpO2 130 %", "130"), ("Temp 120 F", "120"), ("T 45 C", "45"),
     ("RR 90", "90"), ("Weight 820 kg", "820"), ("Pulse 4000", "4000")],
)  # fmt: skip
def test_vitals_out_of_human_range_are_flagged(text: str, value: str) -> None:
    flags = check_vitals(text)
    assert [text[f.start : f.end] for f in flags][:1] == [value]
    assert "human range" in flags[0].reason


def test_vitals_in_range_and_an_inverted_pressure() -> None:
    assert check_vitals("BP 128/82 HR 76 RR 16 SpO2 97% Temp 98.4 F T 37.2 C Wt 70 kg Ht 170 cm") == []
    (flag,) = check_vitals("BP 80/120")
    assert "systolic not above diastolic" in flag.reason


def test_an_unknown_drug_name_before_a_dose_gets_the_nearest_lexicon_names() -> None:
    text = "Metoprolcl 25 mg PO BID"
    (flag,) = check_drug_names(text)
    assert text[flag.start : flag.end] == "Metoprolcl"
    assert flag.suggestions[0] == "Metoprolol"
    assert "Metoprolol" in flag.reason


def test_known_drugs_brands_and_other_words_before_numbers_are_not_flagged() -> None:
    for text in ["Lasix 40 mg", "Tylenol 650 mg", "Take 2 mg", "Increase to 40 mg", "Insulin 10 units"]:
        assert check_drug_names(text) == [], text
    assert check_drug_names("Lisinoprl 1O mg daily")  # the dose misread too: the name is still checked


def test_the_lexicon_comes_from_the_bundled_fda_list_and_accepts_a_custom_one() -> None:
    lexicon = default_lexicon()
    assert len(lexicon) > 50_000
    assert "metoprolol" in lexicon and "WARFARIN" in lexicon and "patient" not in lexicon
    custom = DrugLexicon.from_names(["Zorblax"])
    assert check_drug_names("Zorblax 5 mg", custom) == []
    assert check_drug_names("Zorbiax 5 mg", custom)[0].suggestions == ("Zorblax",)


def test_flags_map_to_the_words_they_cover() -> None:
    text = "BP 300/20 HR 76"
    by_word = flags_by_word(text, run_checks(text))
    assert list(by_word) == [1]


@pytest.mark.parametrize(
    ("line", "flagged"),
    [
        ("Gabapentin B1 PR: PO QID", "B1"),  # 81 mg: the unit misread too, so no dose is seen
        ("Simvastatin l b PO at bedtime", "l"),
        ("Vitamin B12 1000 mcg daily", None),  # part of the name: a number follows
        ("Aspirin is given", None),  # letters alone, no digit: not a dose
        ("Metformin 500 mg", None),
    ],
)
def test_a_known_drugs_dose_with_a_letter_is_flagged_even_when_its_unit_is_misread(
    line: str, flagged: str | None
) -> None:
    found = [line[f.start : f.end] for f in check_numbers_after_drug_names(line)]
    assert found == ([flagged] if flagged else [])
    if flagged:
        assert "dose" in check_numbers_after_drug_names(line)[0].reason
