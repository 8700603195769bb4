"""Word boxes matched to the text a reviewer edits (desktop.core.word_links)."""

from __future__ import annotations

from desktop.core.regions import Region
from desktop.core.word_links import page_words, word_at, word_spans

WORDS = (("Metformin", (0, 0, 90, 20)), ("500", (100, 0, 130, 20)), ("mg", (140, 0, 160, 20)), ("BID", (0, 30, 30, 50)))
MODEL = "Metformin 500 mg\nBID"


def _region(text: str = MODEL) -> Region:
    confidences = tuple(0.5 if i == 11 else 0.99 for i in range(len(MODEL)))  # the "0" of 500 is doubtful
    return Region(
        "r", 0, ((0, 0), (200, 0), (200, 60)), model_text=MODEL, text=text, confidences=confidences, words=WORDS
    )


def test_the_model_text_holds_each_word_at_its_place_with_its_least_sure_character():
    region = _region()
    assert word_spans(region, MODEL) == [(0, 9), (10, 13), (14, 16), (17, 20)]
    words = page_words(region)
    assert [w.text for w in words] == ["Metformin", "500", "mg", "BID"]
    assert [w.confidence for w in words] == [0.99, 0.5, 0.99, 0.99]
    assert words[3].box == (0, 30, 30, 50)


def test_a_corrected_word_keeps_its_box_and_a_word_added_has_none():
    region = _region()
    # "500" corrected to "850", and a word typed before the last line
    text = "Metformin 850 mg\nPO BID"
    spans = word_spans(region, text)
    assert spans == [(0, 9), (10, 13), (14, 16), (20, 23)]
    assert spans[1] is not None and text[spans[1][0] : spans[1][1]] == "850"
    assert word_at(spans, 11) == 1 and word_at(spans, 13) == 1  # in the word, and just after it
    assert word_at(spans, 18) is None  # "PO" has no box


def test_a_word_deleted_leaves_its_box_unmatched():
    spans = word_spans(_region(), "Metformin mg BID")
    assert spans == [(0, 9), None, (10, 12), (13, 16)]
