"""The second reader's words aligned with the first reading: which words disagree, and the other reading."""

from __future__ import annotations

from desktop.core.second_reading import align_words, disagreement_at, disagreements, take_other


def test_identical_readings_disagree_nowhere() -> None:
    assert disagreements("RIVERBEND COMMUNITY CLINIC", ["RIVERBEND", "COMMUNITY", "CLINIC"]) == []


def test_a_misread_word_pairs_with_its_other_reading_not_its_neighbour() -> None:
    # GIVEN the first reading misses a letter that the second reader has
    text = "RIVERBEND COMMUNTY CLINIC"
    # WHEN they are aligned
    found = disagreements(text, ["RIVERBEND", "COMMUNITY", "CLINIC"])
    # THEN only that word disagrees, with its span in the text and the other reading
    assert len(found) == 1
    d = found[0]
    assert (d.first, d.other, d.first_words) == ("COMMUNTY", "COMMUNITY", (1,))
    assert text[d.start : d.end] == "COMMUNTY"


def test_case_is_a_disagreement_but_compatibility_forms_are_not() -> None:
    assert [d.other for d in disagreements("coMMUNITY DATE:", ["COMMUNITY", "DATE\uff1a"])] == ["COMMUNITY"]


def test_a_word_split_in_two_by_one_reader_is_one_disagreement() -> None:
    # GIVEN "Follow UD" read by the second reader as "Follow-up"... and "3 moths." as "3 months."
    text = "Return in 3 moths. Follow UD"
    found = disagreements(text, ["Return", "in", "3", "months.", "Follow-up"])
    # THEN each run of differing words is one item, the other reading in order
    assert [(d.first, d.other) for d in found] == [("moths.", "months."), ("Follow UD", "Follow-up")]


def test_a_word_only_the_second_reader_saw_joins_its_neighbour() -> None:
    found = disagreements("Metformin mg daily", ["Metformin", "500", "mg", "daily"])
    assert [(d.first, d.other) for d in found] == [("Metformin", "Metformin 500")]
    found = disagreements("mg daily", ["500", "mg", "daily"])
    assert [(d.first, d.other) for d in found] == [("mg", "500 mg")]


def test_a_word_the_second_reader_missed_has_an_empty_other_reading() -> None:
    found = disagreements("BP 120/80 today", ["BP", "today"])
    assert [(d.first, d.other) for d in found] == [("120/80", "")]


def test_an_empty_second_reading_is_no_evidence() -> None:
    assert disagreements("anything at all", []) == []
    assert disagreements("", ["word"]) == []


def test_alignment_keeps_reading_order_and_covers_every_word() -> None:
    pairs = align_words(["a", "bb", "c"], ["a", "x", "bb", "c", "d"])
    assert [i for i, _ in pairs if i is not None] == [0, 1, 2]
    assert [j for _, j in pairs if j is not None] == [0, 1, 2, 3, 4]


def test_taking_the_other_reading_replaces_only_that_word() -> None:
    # GIVEN a disagreement and the caret inside its word
    text = "Take 5 rng daily\nwith food"
    found = disagreements(text, ["Take", "5", "mg", "daily", "with", "food"])
    d = disagreement_at(found, text.index("rng") + 1)
    assert d is not None
    # WHEN the other reading is taken
    new, caret = take_other(text, d)
    # THEN the word changes, the rest (line break included) stays, the caret follows the word
    assert new == "Take 5 mg daily\nwith food"
    assert new[:caret] == "Take 5 mg"
    assert disagreement_at(found, 0) is None
