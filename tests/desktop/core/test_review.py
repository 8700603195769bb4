"""The review rules the keyboard follows, without a screen."""

from __future__ import annotations

from desktop.core.regions import Region, RegionStatus
from desktop.core.review import (
    UNREADABLE_BELOW,
    align_confidences,
    count_reviewed,
    has_doubtful,
    is_editable,
    is_unreadable,
    is_unreadable_reading,
    needs_review,
    next_doubtful,
    selection_after_removal,
    shown_text,
    step,
    typed_over_guess,
)

MODEL = "BP 12O/80"
CONF = (1, 1, 1, 1, 1, 0.2, 1, 0.4, 1)  # "O" and "8" are doubtful
SQUARE = ((0.0, 0.0), (10.0, 0.0), (10.0, 10.0))


def id_of(r: Region | None) -> str | None:
    """The region's id, or None when no region was chosen."""
    return None if r is None else r.id


def region(
    rid: str, page: int, *, status: RegionStatus = RegionStatus.READ, doubtful: bool = False, text: str | None = None
) -> Region:
    conf = CONF if doubtful else (1.0,) * len(MODEL)
    return Region(
        id=rid,
        page=page,
        polygon=SQUARE,
        status=status,
        model_text=MODEL,
        text=MODEL if text is None else text,
        confidences=tuple(float(c) for c in conf),
    )


def test_align_keeps_untouched_characters_and_trusts_typed_ones() -> None:
    assert align_confidences(MODEL, CONF, MODEL) == list(map(float, CONF))
    fixed = align_confidences(MODEL, CONF, "BP 120/80")
    assert fixed[5] == 1.0 and fixed[7] == 0.4  # retyped "0" is certain; "8" still doubtful
    assert align_confidences(MODEL, CONF, "") == []
    assert align_confidences("", (), "typed") == [1.0] * 5
    assert has_doubtful(MODEL, CONF, MODEL, 0.6)
    assert not has_doubtful(MODEL, CONF, "BP 120/90", 0.6)


def test_a_verified_region_needs_no_review_even_with_doubtful_characters() -> None:
    assert needs_review(region("a", 0, doubtful=True), 0.6)
    assert not needs_review(region("a", 0, doubtful=True, status=RegionStatus.VERIFIED), 0.6)
    assert not needs_review(region("a", 0, doubtful=True, status=RegionStatus.CORRECTED), 0.6)  # a person decided
    assert not needs_review(region("a", 0, doubtful=True, text="BP 120/90"), 0.6)  # both retyped
    assert not needs_review(region("a", 0, doubtful=False), 0.6)


def test_regions_being_read_are_not_editable_and_counts_see_only_decisions() -> None:
    regions = [region("a", 0, status=s) for s in RegionStatus]
    assert [is_editable(r) for r in regions] == [False, False, True, True, True, True]
    assert count_reviewed(regions) == 2  # corrected and verified


def test_tab_walks_reading_order_across_pages_and_stops_at_the_ends() -> None:
    order = [region("a", 0), region("b", 0), region("c", 2)]
    assert id_of(step(order, "a", 0, +1)) == "b"
    assert id_of(step(order, "b", 0, +1)) == "c"  # crosses to page 3
    assert step(order, "c", 2, +1) is None
    assert step(order, "a", 0, -1) is None
    # nothing selected: the first region on or after the page shown, the last on or before it
    assert id_of(step(order, None, 1, +1)) == "c"
    assert id_of(step(order, None, 1, -1)) == "b"
    assert step(order, None, 3, +1) is None
    assert step([], None, 0, +1) is None


def test_f8_finds_the_next_doubtful_region_wrapping_and_skipping_verified() -> None:
    order = [
        region("a", 0, doubtful=True),
        region("b", 0),
        region("c", 1, doubtful=True, status=RegionStatus.VERIFIED),
        region("d", 1, doubtful=True),
    ]
    assert id_of(next_doubtful(order, "a", 0, 0.6)) == "d"
    assert id_of(next_doubtful(order, "d", 1, 0.6)) == "a"  # wraps round the document
    assert id_of(next_doubtful(order, None, 1, 0.6)) == "d"  # from the page shown
    assert id_of(next_doubtful(order, None, 5, 0.6)) == "a"  # past the last page: from the start
    assert next_doubtful(order[1:3], "b", 0, 0.6) is None
    assert next_doubtful([], None, 0, 0.6) is None


def test_after_a_removal_the_next_region_is_selected_else_the_previous() -> None:
    assert selection_after_removal(["a", "b", "c"], "b") == "c"
    assert selection_after_removal(["a", "b", "c"], "c") == "b"
    assert selection_after_removal(["a"], "a") is None
    assert selection_after_removal(["a"], "z") is None


def test_a_junk_reading_is_unreadable_until_a_person_types_it() -> None:
    # GIVEN the bundled model's figures on the sample note: printed lines average >= 0.97 even with a
    # character at 0.48; handwriting read as junk averages 0.54-0.79
    printed = (0.99, 0.48, 1.0, 0.99, 0.98, 1.0, 0.99)
    junk = (0.55, 0.19, 0.7, 0.6, 0.4, 0.8)
    # THEN the mean decides, spaces aside, and an empty reading or floor 0 is never unreadable
    assert not is_unreadable_reading("Pt note", printed, UNREADABLE_BELOW)
    assert is_unreadable_reading("RTU CK", junk, UNREADABLE_BELOW)
    assert not is_unreadable_reading("a    b", (0.95, 0.0, 0.0, 0.0, 0.0, 0.95), UNREADABLE_BELOW)  # spaces aside
    assert not is_unreadable_reading("", (), UNREADABLE_BELOW)
    assert not is_unreadable_reading("RTU CK", junk, 0.0)
    # AND a region is unreadable only while its text is the model's junk
    bad = Region(
        id="u", page=0, polygon=SQUARE, status=RegionStatus.READ, model_text="RTU CK", text="RTU CK", confidences=junk
    )
    assert is_unreadable(bad, UNREADABLE_BELOW) and shown_text(bad, UNREADABLE_BELOW) == ""
    typed = bad.with_changes(text="RTC 12", status=RegionStatus.CORRECTED)
    assert not is_unreadable(typed, UNREADABLE_BELOW) and shown_text(typed, UNREADABLE_BELOW) == "RTC 12"
    assert not is_unreadable(bad.with_changes(status=RegionStatus.VERIFIED), UNREADABLE_BELOW)
    assert shown_text(region("a", 0), UNREADABLE_BELOW) == MODEL
    # AND F8 visits it though no character is below the doubt threshold
    order = [region("a", 0), bad, region("c", 0)]
    assert id_of(next_doubtful(order, "a", 0, 0.1, UNREADABLE_BELOW)) == "u"
    assert next_doubtful(order, "a", 0, 0.1) is None  # the rule off


def test_text_typed_over_a_guess_is_the_reviewers_and_a_corrected_reading_is_not() -> None:
    junk = (0.55, 0.19, 0.7, 0.6, 0.4, 0.8)
    guess = Region(
        id="u", page=0, polygon=SQUARE, status=RegionStatus.READ, model_text="RTU CK", text="RTU CK", confidences=junk
    )
    # a person typed the text of a region the model could not read: theirs, whatever it shares with the guess
    assert typed_over_guess(guess.with_changes(text="RTU 12 wks", status=RegionStatus.CORRECTED), UNREADABLE_BELOW)
    # not while the text is the guess itself, nor for a correction of a real reading, nor with the rule off
    assert not typed_over_guess(guess, UNREADABLE_BELOW)
    one_doubt = (1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 1.0, 1.0, 1.0)  # "BP 12O/80" read well but for its "O"
    corrected = region("a", 0, text="BP 120/80").with_changes(confidences=one_doubt, status=RegionStatus.CORRECTED)
    assert not typed_over_guess(corrected, UNREADABLE_BELOW)
    assert not typed_over_guess(guess.with_changes(text="RTU 12 wks"), 0.0)
