"""One triage score per word: a logistic score over the word's features (confidence, shape,
kind, the word lists, the second reading) with weights fitted on generated data; a check flag
always flags."""

from __future__ import annotations

import pytest

from desktop.core.settings import defaults
from desktop.core.triage import (
    DEFAULT_THRESHOLD,
    FEATURES,
    FEATURES_SECOND,
    WEIGHTS,
    WEIGHTS_SECOND,
    WordReading,
    align_second_reading,
    flagged,
    odd_shape,
    triage_words,
    word_features,
    word_score,
)


def _words(text: str, conf: float = 0.99) -> list[WordReading]:
    return [WordReading(w, (conf,) * len(w)) for w in text.split()]


def test_a_confident_correct_line_is_not_flagged() -> None:
    text = "Metoprolol 25 mg PO BID"
    words = triage_words(text, _words(text))
    assert flagged(words) == []
    assert all(w.score < DEFAULT_THRESHOLD for w in words)


def test_a_check_flags_a_confident_word_and_says_why() -> None:
    # GIVEN a misread dose read with high confidence
    text = "Metoprolol 2S mg PO BID"
    # WHEN triaged THEN the dose is flagged by the check, whatever the confidence
    (word,) = flagged(triage_words(text, _words(text, 0.999)))
    assert word.text == "2S" and word.score == 1.0 and word.risks["checks"] == 1.0
    assert "letter" in word.reasons[0]


def test_low_confidence_alone_flags_a_word() -> None:
    text = "Follow up"
    readings = [WordReading("Follow", (0.99, 0.5, 0.99, 0.99, 0.99, 0.99)), WordReading("up", (0.99, 0.99))]
    (word,) = flagged(triage_words(text, readings))
    assert word.text == "Follow" and word.risks["confidence"] == pytest.approx(0.5)
    assert "50% confidence" in word.reasons[-1]


def test_a_second_reader_that_disagrees_flags_the_word_and_offers_its_reading() -> None:
    text = "COMMUNTY CLINIC"
    seconds = align_second_reading(text.split(), "COMMUNITY CLINIC")
    readings = [WordReading(w, (0.98,) * len(w), s) for w, s in zip(text.split(), seconds)]
    (word,) = flagged(triage_words(text, readings))
    assert word.text == "COMMUNTY" and word.second_reading == "COMMUNITY"
    assert "second reader read 'COMMUNITY'" in " ".join(word.reasons)


def test_without_a_second_reader_the_signal_is_absent_not_zero() -> None:
    (word,) = triage_words("Clinic", _words("Clinic"))
    assert "second" not in word.risks


def test_one_reading_per_word_is_required() -> None:
    with pytest.raises(ValueError, match="one WordReading"):
        triage_words("two words", _words("one"))


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        ("Metoprolcl 25 mg PO", ["Metoprolcl", "25", "mg", "PO"]),
        ("Metoprolol 25 PO", ["Metoprolol", "25", "", "PO"]),
        ("Metoprolol 25 mg extra PO", ["Metoprolol", "25", "mg extra", "PO"]),
        ("", ["", "", "", ""]),
    ],
)
def test_the_second_reading_is_aligned_word_by_word(second: str, expected: list[str]) -> None:
    assert align_second_reading(["Metoprolol", "25", "mg", "PO"], second) == expected


@pytest.mark.parametrize(
    ("word", "odd"),
    [("coMMUNITY", True), ("2O25", True), ("tHe", True), ("COMMUNITY", False), ("McDonald", False),
     ("SpO2", False), ("HbA1c", False), ("q4h", False), ("DATE:", False), ("01/01/1970", False)],
)  # fmt: skip
def test_odd_shapes(word: str, odd: bool) -> None:
    assert odd_shape(word) is odd


def test_the_threshold_is_a_setting() -> None:
    assert defaults()["review/triage_threshold"] == DEFAULT_THRESHOLD


def test_a_second_reader_that_agrees_lowers_the_score_and_one_that_disagrees_raises_it() -> None:
    # GIVEN a word read with 80 % confidence, and a second reading of it each way
    def score(second: str) -> float:
        (word,) = triage_words("Clinic", [WordReading("Clinic", (0.8,) * 6, second)])
        return word.score

    # THEN agreement scores lowest, a different reading highest; reading nothing lies between
    assert score("Clinic") < score("") < score("Climic")
    # AND a reading in another case is not full agreement (on generated notes, PARSeq's case errors)
    assert score("Clinic") < score("clinic")
    (word,) = triage_words("Clinic", [WordReading("Clinic", (0.8,) * 6, "clinic")])
    assert word.risks["second"] == 0.0


def test_the_score_rises_as_confidence_falls() -> None:
    scores = [triage_words("Clinic", [WordReading("Clinic", (c,) * 6)])[0].score for c in (0.999, 0.95, 0.8, 0.5)]
    assert scores == sorted(scores) and scores[0] < DEFAULT_THRESHOLD <= scores[-1]


def test_an_unknown_word_scores_higher_when_the_word_lists_are_given() -> None:
    # GIVEN a confident reading no word list knows
    reading = [WordReading("Follozutup", (0.97,) * 10)]
    (alone,) = triage_words("Follozutup", reading)
    (known,) = triage_words("Follozutup", reading, is_known=lambda w: w.lower() == "follow")
    # THEN the word lists raise its score and say why
    assert known.score > alone.score and known.risks["unknown"] == 1.0
    assert "in no word list" in " ".join(known.reasons)


def test_the_features_and_weights_match() -> None:
    assert len(WEIGHTS) == len(FEATURES) + 1 and len(WEIGHTS_SECOND) == len(FEATURES_SECOND) + 1
    assert len(word_features(WordReading("25", (0.9, 0.9)))) == len(FEATURES)
    assert len(word_features(WordReading("25", (0.9, 0.9), "25"))) == len(FEATURES_SECOND)
    # the bias is the last weight: all-zero features score the logistic of the bias
    assert word_score([0.0] * len(FEATURES), WEIGHTS) == pytest.approx(1 / (1 + 2.718281828 ** -WEIGHTS[-1]), 1e-6)
