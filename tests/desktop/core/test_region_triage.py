"""The triage of stored regions (no Qt): what F8, the ⚑ flags and the progress view follow."""

from __future__ import annotations

import time

from desktop.core.progress import page_progress
from desktop.core.region_triage import document_years, is_doubtful, next_triaged, region_triage, text_triage
from desktop.core.regions import Region, RegionStatus
from desktop.core.triage import DEFAULT_THRESHOLD as T

SQUARE = ((0.0, 0.0), (10.0, 0.0), (10.0, 10.0))


def read(rid: str, text: str, conf: float = 0.99, *, page: int = 0, status: RegionStatus = RegionStatus.READ) -> Region:
    return Region(rid, page, SQUARE, status, text, text, (conf,) * len(text))


def test_a_confident_dose_with_a_trailing_zero_is_doubtful_where_confidence_alone_is_not():
    # GIVEN a dose read at 0.99 for every character, and a clean line read as surely
    dose, clean = read("a", "Metformin 5.0 mg twice daily"), read("b", "Lisinopril 10 mg daily")
    # THEN the triage flags the dose words with the check's reason, and not the clean line
    words = region_triage(dose)
    assert [w.text for w in words if w.score >= T] == ["5.0", "mg"]
    assert "trailing zero" in words[1].reasons[0]
    assert is_doubtful(dose, T) and not is_doubtful(clean, T)
    # AND a person's decision ends it; a region not read yet has no triage
    assert not is_doubtful(dose.with_changes(status=RegionStatus.VERIFIED), T)
    assert region_triage(dose.with_changes(status=RegionStatus.PENDING)) == ()


def test_a_correction_is_triaged_again_and_typed_characters_count_as_certain():
    # GIVEN a dose the model read with letters for digits, corrected by a person
    region = Region("a", 0, SQUARE, RegionStatus.READ, "Metformin 5OO mg", "Metformin 5OO mg", (0.3,) * 16)
    assert is_doubtful(region, T)
    fixed = region.with_changes(text="Metformin 500 mg")
    # THEN the check no longer flags it; the typed zeros count as certain, the kept "5" keeps its doubt
    before, after = region_triage(region)[1], region_triage(fixed)[1]
    assert before.risks["checks"] == 1.0 and after.risks["checks"] == 0.0
    assert after.risks["confidence"] == before.risks["confidence"] == 0.7


def test_the_second_reading_counts_once_it_has_arrived():
    # GIVEN a confident reading the second reader read otherwise
    region = read("a", "Pt seen in COMMUNTY clinic")
    assert not is_doubtful(region, T)
    # THEN its disagreement flags the word; agreement does not
    assert is_doubtful(region, T, ["Pt", "seen", "in", "COMMUNITY", "clinic"])
    assert not is_doubtful(region, T, ["Pt", "seen", "in", "COMMUNTY", "clinic"])
    assert not is_doubtful(region, T, [])  # an empty second reading is no evidence


def test_f8_and_the_progress_counts_follow_the_given_rule_and_keep_the_unreadable_one():
    regions = [
        read("a", "Lisinopril 10 mg daily"),
        read("b", "BP 300/20 pulse 72"),
        read("c", "junk", 0.2, page=1),  # unreadable below 0.9
        read("d", "Lisinopril 10 mg daily", page=1),
    ]

    def doubtful(r: Region) -> bool:
        return is_doubtful(r, T, None, document_years(regions))

    assert getattr(next_triaged(regions, "a", 0, doubtful, 0.9), "id", None) == "b"
    assert getattr(next_triaged(regions, "b", 0, doubtful, 0.9), "id", None) == "c"
    assert next_triaged(regions, None, 1, doubtful, 0.0) is not None
    rows = page_progress(regions, 2, 0.6, 0.9, doubtful)
    assert [(r.doubtful, r.unreadable) for r in rows] == [(1, 0), (0, 1)]
    assert [r.doubtful for r in page_progress(regions, 2, 0.6, 0.9)] == [0, 0]  # confidence alone: none


def test_checks_and_triage_of_a_50_word_region_take_milliseconds():
    text = " ".join(["Metformin 5.0 mg daily BP 300/20 HR 80 on 12/03/2024 Lisinopril 10 mg"] * 4)
    words = text.split()[:50]
    text = " ".join(words)
    text_triage("warm", "warm", (1.0,) * 4)  # the lexicon loads once
    start = time.perf_counter()
    out = text_triage(text, text, (0.95,) * len(text))
    elapsed = time.perf_counter() - start
    assert len(out) == 50
    assert elapsed < 0.1  # about 2 ms on an idle core; generous for a loaded machine
