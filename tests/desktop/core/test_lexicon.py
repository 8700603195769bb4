"""The lexicon: Hunspell expansion, clinical case rules, suggestions, the reviewer's dictionary, and
the next doubtful word, without a screen."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import pytest

from desktop.core.lexicon import (
    APT_PACKAGES,
    MEDICAL_LIST,
    WORD_LIST,
    Lexicon,
    UserDictionary,
    expand_hunspell,
    load_lexicon,
    osa_distance,
    osa_distances,
    tokens,
)
from desktop.core.regions import Region, RegionStatus
from desktop.core.storage import StorageError
from desktop.core.word_review import WordHit, next_doubtful_word

AFF = """SET UTF-8
PFX U Y 1
PFX U   0     un         .

SFX S Y 4
SFX S   y     ies        [^aeiou]y
SFX S   0     s          [aeiou]y
SFX S   0     es         [sxzh]
SFX S   0     s          [^sxzhy]

SFX M Y 1
SFX M   0     's         .

SFX D N 1
SFX D   0     ed         .
"""

DIC = """    This is a header, indented like the medical list's
4
artery/SM
bypass/S
dress/UDS
Tylenol/M
"""


@pytest.fixture
def hunspell(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "t.aff").write_text(AFF, encoding="utf-8")
    (tmp_path / "t.dic").write_text(DIC, encoding="utf-8")
    return tmp_path / "t.dic", tmp_path / "t.aff"


def test_hunspell_stems_expand_by_their_flags_and_strip_them_without_rules(hunspell: tuple[Path, Path]) -> None:
    # GIVEN a Hunspell dictionary with suffix and prefix flags and its affix file
    dic, aff = hunspell
    # WHEN it is expanded with and without the affix file
    forms = expand_hunspell(dic, aff)
    stems = expand_hunspell(dic, None)
    # THEN each stem gets the forms its flags allow, conditions and cross products respected
    assert {"artery", "arteries", "artery's", "bypass", "bypasses", "Tylenol", "Tylenol's"} <= forms
    assert {"dress", "dresses", "dressed", "undress", "undresses"} <= forms
    assert "undressed" not in forms  # D is not a cross product: no prefix on it
    assert "arterys" not in forms and "This" not in forms and "4" not in forms
    # AND without the rules the flags are stripped
    assert stems == {"artery", "bypass", "dress", "Tylenol"}


def small() -> Lexicon:
    return Lexicon(["patient", "fatigue", "walking", "Tylenol", "follow", "up", "reports", "clinic", "less"])


def test_case_rules_fit_clinical_text() -> None:
    lex = small()
    # a lower-case entry: itself, Capitalised and CAPITALS; OCR's mixed case is unknown
    assert all(lex.is_known(w) for w in ("fatigue", "Fatigue", "FATIGUE"))
    assert not lex.is_known("faTIGUE") and not lex.is_known("fatigve")
    # an entry with capitals: itself and CAPITALS only
    assert lex.is_known("Tylenol") and lex.is_known("TYLENOL") and not lex.is_known("tylenol")
    # abbreviations, doses, numbers, units, single letters are never unknown
    for word in ("BID", "PO", "HEENT", "20mg", "q4h", "120", "x2", "mg", "mmHg", "prn", "x"):
        assert lex.is_known(word), word
    assert not lex.is_known("CLINIK")  # six capitals: a word, checked
    # hyphenated and possessive words are checked by their parts
    assert lex.is_known("follow-up") and lex.is_known("patient's") and lex.is_known("patient\u2019s")
    assert not lex.is_known("folow-up")


def test_tokens_split_words_and_keep_offsets() -> None:
    text = "Pt's BP 120/80, follow-up in 2 wks."
    words = [t.word for t in tokens(text)]
    assert words == ["Pt's", "BP", "120", "80", "follow-up", "in", "2", "wks"]
    assert all(text[t.start : t.end] == t.word for t in tokens(text))


def test_suggestions_are_the_nearest_words_in_the_words_case() -> None:
    lex = small()
    assert lex.suggest("fatige")[0] == "fatigue"
    assert lex.suggest("FATIGE")[0] == "FATIGUE"
    assert lex.suggest("Walkng")[0] == "Walking"
    assert lex.suggest("tylenl") == ["Tylenol"]  # an entry with capitals keeps them
    assert lex.suggest("clinIc") == ["clinic"]  # the word itself, in its case
    assert lex.suggest("clINIC") == ["CLINIC"]  # mostly capitals: OCR's mixed case of a heading
    assert lex.suggest("zzzzzzzz") == []
    assert len(Lexicon([f"wor{c}" for c in "abcdefgh"]).suggest("word", limit=5)) == 5


def test_the_vectorised_distance_agrees_with_the_plain_one() -> None:
    words = ["patient", "patent", "pateint", "ptaient", "pat", "patients", "xpatient", "", "tneitap"]
    expected = [min(osa_distance("pateint", w, limit=99), 99) for w in words]
    assert list(osa_distances("pateint", words)) == expected
    assert osa_distance("pateint", "patient") == 1  # a swap of neighbours is one edit


def test_the_reviewers_words_persist_in_an_owner_only_file(tmp_path: Path) -> None:
    # GIVEN a lexicon with a dictionary file in a data folder not made yet
    path = tmp_path / "data" / "notelasso" / "dictionary.txt"
    lex = Lexicon(["clinic"], UserDictionary(path))
    assert not lex.is_known("Riverbend")
    # WHEN the reviewer adds a word
    lex.add("Riverbend")
    # THEN it is known at once, in capitals too, and suggested for a near miss
    assert lex.is_known("Riverbend") and lex.is_known("RIVERBEND")
    assert lex.suggest("Riverbnd") == ["Riverbend"]
    # AND it is saved, owner-only, and known to a lexicon loaded later
    assert path.read_text(encoding="utf-8") == "Riverbend\n"
    assert os.stat(path).st_mode & 0o777 == 0o600
    lex.add("Riverbend")
    assert path.read_text(encoding="utf-8") == "Riverbend\n"  # once
    assert Lexicon(["clinic"], UserDictionary(path)).is_known("Riverbend")


def test_a_dictionary_that_cannot_be_written_says_so(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    lex = Lexicon(["clinic"], UserDictionary(blocker / "dictionary.txt"))
    with pytest.raises(StorageError) as err:
        lex.add("Riverbend")
    assert "dictionary" in err.value.user_message


def test_missing_word_lists_mark_nothing_and_say_what_to_install(tmp_path: Path) -> None:
    # GIVEN no word lists on the system
    lex = load_lexicon(tmp_path / "d.txt", word_list=tmp_path / "no", medical=tmp_path / "no.dic", aff=tmp_path / "a")
    # THEN every word is known (no marks), nothing is suggested, and the hint names the packages
    assert not lex.is_available and lex.is_known("xqzt") and lex.suggest("xqzt") == []
    assert all(p in lex.hint for p in APT_PACKAGES)


needs_lists = pytest.mark.skipif(
    not (WORD_LIST.is_file() and MEDICAL_LIST.is_file()), reason="apt install wamerican hunspell-en-med"
)


@needs_lists
def test_the_system_lists_know_clinical_words_and_suggest_in_under_20_ms(tmp_path: Path) -> None:
    # GIVEN the lexicon of the installed lists (expanded medical list and American English)
    lex = load_lexicon(tmp_path / "d.txt")
    assert lex.is_available and not lex.hint and len(lex) > 150_000
    for word in ("metoprolol", "lisinopril", "dyspnea", "arteries", "tachycardias", "fatigue", "Reports"):
        assert lex.is_known(word), word
    assert not lex.is_known("Praromishos") and not lex.is_known("coMMUNITY")
    lex.suggest("warm")  # builds the index once
    # WHEN misread words are looked up
    misread = {"fatige": "fatigue", "lisinoprl": "lisinopril", "hypertensoin": "hypertension", "CLlNIC": "CLINIC"}
    times = []
    for word, right in misread.items():
        t0 = time.thread_time()  # CPU time: the shared test machine's load does not count
        found = lex.suggest(word)
        times.append(time.thread_time() - t0)
        # THEN the right word is among the first five
        assert right in found, (word, found)
    assert statistics.median(times) < 0.02  # measured ~7 ms on the 2-core test machine


def reg(rid: str, page: int, model: str, conf: list[float], *, text: str | None = None, status=RegionStatus.READ):
    return Region(
        id=rid,
        page=page,
        polygon=((0.0, 0.0), (10.0, 0.0), (10.0, 10.0)),
        status=status,
        model_text=model,
        text=model if text is None else text,
        confidences=tuple(conf),
    )


def test_the_next_doubtful_word_goes_across_regions_and_pages() -> None:
    # GIVEN regions on two pages: a low-confidence word, an unknown word, a reviewed one, a sure one
    known = small().is_known
    a = reg("a", 0, "patient reports", [1.0] * 15)
    b = reg("b", 0, "less fatige", [1.0] * 11)  # "fatige" unknown
    c = reg("c", 1, "walking clinic", [1.0] * 8 + [0.3] + [1.0] * 5)  # "clinic" doubtful
    d = reg("d", 1, "fatige", [1.0] * 6, status=RegionStatus.VERIFIED)  # a person decided
    order = [a, b, c, d]
    # WHEN Ctrl+F8 is pressed from nothing selected, then from each word found
    first = next_doubtful_word(order, None, 0, 0, 0.6, known)
    second = next_doubtful_word(order, "b", 11, 0, 0.6, known)
    # THEN it finds the unknown word, then the doubtful word on the next page, then wraps round
    assert first == WordHit("b", 5, 11)
    assert second == WordHit("c", 8, 14)
    assert next_doubtful_word(order, "c", 14, 1, 0.6, known) == WordHit("b", 5, 11)
    # AND the current region's text as edited counts: a fixed word is passed over
    assert next_doubtful_word(order, "b", 0, 0, 0.6, known, live_text="less fatigue") == WordHit("c", 8, 14)
    assert next_doubtful_word([a], "a", 0, 0, 0.6, known) is None
    # AND a caret inside a doubtful word (where F2 puts it) finds that word; one at its end goes on
    assert next_doubtful_word(order, "b", 7, 0, 0.6, known) == WordHit("b", 5, 11)
    assert next_doubtful_word([b], "b", 11, 0, 0.6, known) == WordHit("b", 5, 11)  # the only one: wraps to it
