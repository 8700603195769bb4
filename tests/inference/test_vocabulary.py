"""Vocabulary-aware decoding: a word the model nearly read as a known word is read as it."""

from __future__ import annotations

import numpy as np
import pytest

from inference.decoding import Decoded, decode_logits
from inference.recognizer import _with_vocabulary
from inference.spec import ModelSpec
from inference.vocabulary import correct, split_merged


class Words:
    """A word list, case-insensitive, as the app's lexicon is for lower-case entries."""

    def __init__(self, *words: str) -> None:
        self.words = {w.lower() for w in words}

    def is_known(self, word: str) -> bool:
        return word.lower() in self.words


WORDS = Words("western", "region", "agency", "september", "dose")


def read(text: str, doubts: dict[int, list[tuple[str, float]]]) -> Decoded:
    """A reading of ``text``: sure of every letter except at ``doubts``' positions, where the read
    letter has what the runner-ups leave and the runner-ups are as given."""
    confs, alts = [], []
    for j in range(len(text)):
        runner = doubts.get(j, [("x", 0.001)])
        confs.append(1.0 - sum(p for _, p in runner))
        alts.append(tuple(runner))
    return Decoded(text, tuple(confs), tuple(alts))


def test_a_letter_the_model_nearly_read_makes_a_known_word() -> None:
    # GIVEN "Vestern", where the model's second choice for the first letter was "W" (0.35)
    decoded = read("Vestern", {0: [("W", 0.35), ("w", 0.05)]})
    # WHEN read with a vocabulary that knows "western"
    out = correct(decoded, WORDS)
    # THEN it reads "Western" in the reading's case, and the changed letter keeps the model's
    # probability for it (both cases), so the word stays doubtful
    assert out.text == "Western"
    assert out.confidences[0] == pytest.approx(0.4) and out.confidences[1:] == decoded.confidences[1:]


def test_two_letters_and_the_punctuation_around_the_word() -> None:
    decoded = read("(AGENEV),", {5: [("c", 0.3)], 6: [("Y", 0.4)]})
    assert correct(decoded, WORDS).text == "(AGENCY),"


def test_what_is_left_alone() -> None:
    # a known word, a word with digits, a short word, a letter the model did not propose,
    # an unlikely runner-up, and a reading without runner-ups
    assert correct(read("Region", {0: [("L", 0.4)]}), WORDS).text == "Region"
    assert correct(read("D0se", {1: [("o", 0.4)]}), WORDS).text == "D0se"
    assert correct(read("Dq", {1: [("o", 0.4)]}), Words("do")).text == "Dq"
    assert correct(read("Reaion", {2: [("q", 0.4)]}), WORDS).text == "Reaion"
    assert correct(read("Reaion", {2: [("g", 0.03)]}), WORDS).text == "Reaion"  # 0.03 / 0.97 < MIN_RATIO
    assert correct(Decoded("Reaion", (0.5,) * 6), WORDS).text == "Reaion"
    assert correct(read("Reaion", {2: [("g", 0.4)]}), None).text == "Reaion"


def test_the_most_likely_known_word_wins() -> None:
    # GIVEN two known words one letter away, the model preferring "dose" over "dole"
    words = Words("dose", "dole")
    decoded = read("dove", {2: [("l", 0.2), ("s", 0.3)]})
    assert correct(decoded, words).text == "dose"


def test_pieces_of_a_word_cut_to_fit_the_model_are_not_read_as_words() -> None:
    # GIVEN a line of three crops: a whole word, then a word cut in two pieces (glued)
    line = [read("Reaion", {2: [("g", 0.4)]}), read("Septe", {}), read("rber", {2: [("m", 0.4)]})]
    out = _with_vocabulary(line, (False, False, True), WORDS)
    # THEN only the whole word is read with the vocabulary
    assert [d.text for d in out] == ["Region", "Septe", "rber"]


def test_decoded_logits_carry_what_the_vocabulary_needs() -> None:
    # GIVEN logits for "Reaion" where 'g' was a close second at the fourth letter
    spec = ModelSpec()
    logits = np.zeros((1, spec.num_steps, spec.num_classes), np.float32)
    for t, c in enumerate("Reaion"):
        logits[0, t, spec.charset.index(c) + 1] = 8.0
    logits[0, 2, spec.charset.index("g") + 1] = 7.6
    logits[0, 6, spec.eos_id] = 8.0
    # WHEN decoded and read with the vocabulary
    out = correct(decode_logits(logits, spec)[0], WORDS)
    # THEN it reads "Region"
    assert out.text == "Region"


RUN_TOGETHER = Words("of", "the", "in", "imported", "suspension", "detroit", "east", "date", "submitted", "land", "man")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ofthe", "of the"),
        ("ofimported", "of imported"),
        ("suspensionin", "suspension in"),
        ("DetroitEast", "Detroit East"),
        ("DateSubmitted:", "Date Submitted:"),  # the punctuation stays with its word
        ("(ofimported)", "(of imported)"),
    ],
)
def test_two_known_words_read_together_are_split_where_the_join_is_plain(text: str, expected: str) -> None:
    d = read(text, {})
    out = split_merged(d, RUN_TOGETHER)
    assert out.text == expected
    # each letter keeps its confidence; the space between gets the lower of its neighbours'
    k = expected.index(" ")
    assert out.confidences[:k] == d.confidences[:k] and out.confidences[k + 1 :] == d.confidences[k:]
    assert len(out.alternatives) == len(out.text) and out.alternatives[k] == ()


@pytest.mark.parametrize(
    "text",
    [
        "Inman",  # a capitalised name that is "in" + "man": names stay whole
        "INMAN",  # the same in capitals
        "DETROITEAST",  # two known words in capitals: no join to see
        "Toland",
        "McEast",  # a capital inside a name, its first part unknown
        "inthe2",  # digits
        "imported",  # a known word
        "ofxyzzy",  # an unknown part
        "DetroitEastDate",  # two joins: not one plain split
    ],
)
def test_what_is_not_split(text: str) -> None:
    assert split_merged(read(text, {}), RUN_TOGETHER).text == text
    assert split_merged(read("ofthe", {}), None).text == "ofthe"  # no word lists: as read


def test_only_whole_words_are_split_and_the_region_reads_them_as_two_words() -> None:
    # GIVEN a line of a whole word read together with the next, then a word cut in two pieces
    line = [read("ofthe", {}), read("ofth", {}), read("e", {})]
    out = _with_vocabulary(line, (False, False, True), RUN_TOGETHER)
    # THEN the whole word is split, the pieces are left to be joined
    assert [d.text for d in out] == ["of the", "ofth", "e"]
