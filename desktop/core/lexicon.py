"""Which words of a transcription are known, and what a doubtful one might be instead (no Qt).

The words come from the system's word lists (Debian packages the app needs at run time): ``wamerican``
(``/usr/share/dict/american-english``) and ``hunspell-en-med`` (``/usr/share/hunspell/en_med_glut.dic``,
a medical word list in Hunspell form, expanded with the affix rules of ``hunspell-en-us``'s
``en_US.aff``, or with its flags stripped when that file is missing), plus the reviewer's own
dictionary (``<app data>/notelasso/dictionary.txt``, owner-only like every export).

Clinical text is full of things no word list holds, so these are never "unknown": tokens with a
digit (doses ``20mg``, ``q4h``, ``120/80``), single letters, abbreviations in capitals of up to
:data:`MAX_ABBREVIATION` letters (``BID``, ``PO``, ``HEENT``) and the common units and Latin dosing
terms in :data:`CLINICAL_WORDS`. Case: a lower-case entry accepts its Capitalised and CAPITAL
forms; an entry with capitals (``Tylenol``) accepts only itself and its CAPITAL form, so OCR's
mixed case (``coMMUNITY``) stays unknown.

Suggestions are found by edit distance (optimal string alignment, up to 2 edits). A letter-count
filter over the words of near length, done with numpy, keeps only the words within reach
(each edit changes the letter counts by at most 2), so only a few hundred distances are computed.
Without word lists the lexicon knows every word (no marks) and says why in :attr:`Lexicon.hint`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop.core.storage import StorageError, app_data_dir

__all__ = [
    "AFFIX_FILE",
    "APT_PACKAGES",
    "CLINICAL_WORDS",
    "MAX_ABBREVIATION",
    "MEDICAL_LIST",
    "WORD_LIST",
    "Lexicon",
    "Token",
    "UserDictionary",
    "expand_hunspell",
    "load_lexicon",
    "osa_distance",
    "osa_distances",
    "tokens",
    "user_dictionary_path",
]

WORD_LIST = Path("/usr/share/dict/american-english")
MEDICAL_LIST = Path("/usr/share/hunspell/en_med_glut.dic")
AFFIX_FILE = Path("/usr/share/hunspell/en_US.aff")
#: The Debian packages that hold the lists above (the app's run-time needs; the .deb depends on them).
APT_PACKAGES = ("wamerican", "hunspell-en-med", "hunspell-en-us")
MAX_ABBREVIATION = 5
#: Units and dosing terms missing from the lists; compared in lower case.
CLINICAL_WORDS = frozenset(
    "mg mcg ug ml mmhg mmol meq kg bpm bmi iu hr hrs min mins wk wks yr yrs yo qd qod qam qpm qhs bid tid "
    "qid prn po pr sl sc sq im iv npo hx dx rx tx sx fx pt pts vs wnl nad rrr ctab".split()
)
USER_FILE_MODE = 0o600

_WORD = re.compile(r"[^\W_]+(?:['\u2019\-][^\W_]+)*")
_MAX_EDITS = 2


@dataclass(frozen=True, slots=True)
class Token:
    """A word of a text: ``text[start:end] == word``."""

    start: int
    end: int
    word: str


def tokens(text: str) -> list[Token]:
    """The words of ``text``: runs of letters and digits joined by an apostrophe or a hyphen."""
    return [Token(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]


# -- the word lists ------------------------------------------------------------------------------
def _affix_rules(aff: Path) -> dict[str, tuple[str, bool, list[tuple[str, str, re.Pattern[str]]]]]:
    """``flag -> (PFX|SFX, cross product, [(strip, add, condition)])`` from a Hunspell .aff file."""
    rules: dict[str, tuple[str, bool, list[tuple[str, str, re.Pattern[str]]]]] = {}
    for line in aff.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split()
        if len(parts) < 4 or parts[0] not in ("PFX", "SFX"):
            continue
        kind, flag = parts[0], parts[1]
        if flag not in rules:  # the header: PFX flag Y|N count
            rules[flag] = (kind, parts[2] == "Y", [])
            continue
        strip = "" if parts[2] == "0" else parts[2]
        add = "" if parts[3] == "0" else parts[3].split("/")[0]
        cond = parts[4] if len(parts) > 4 else "."
        pattern = re.compile(f"^(?:{cond})" if kind == "PFX" else f"(?:{cond})$")
        rules[flag][2].append((strip, add, pattern))
    return rules


def _apply(word: str, kind: str, rule: tuple[str, str, re.Pattern[str]]) -> str | None:
    strip, add, cond = rule
    if not cond.search(word):
        return None
    if kind == "PFX":
        return add + word[len(strip) :] if word.startswith(strip) else None
    return word[: len(word) - len(strip)] + add if word.endswith(strip) else None


def expand_hunspell(dic: Path, aff: Path | None) -> set[str]:
    """Every word form of a Hunspell .dic: each stem with the prefixes and suffixes its flags allow
    (from ``aff``); with no affix file, the stems with their flags stripped. Comment and count
    lines (indented, ``#``, or a bare number) are skipped."""
    rules = _affix_rules(aff) if aff is not None and aff.is_file() else {}
    words: set[str] = set()
    for line in dic.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip() or line[0] in " \t#" or line.strip().isdigit():
            continue
        stem, _, flags = line.strip().partition("/")
        words.add(stem)
        suffixed = [stem]
        for flag in flags.split("\t")[0]:
            kind, _cross, entries = rules.get(flag, ("", False, []))
            if kind != "SFX":
                continue
            for rule in entries:
                if (form := _apply(stem, kind, rule)) is not None:
                    words.add(form)
                    if _cross:
                        suffixed.append(form)
        for flag in flags:
            kind, cross, entries = rules.get(flag, ("", False, []))
            if kind != "PFX":
                continue
            for base in suffixed if cross else [stem]:
                for rule in entries:
                    if (form := _apply(base, kind, rule)) is not None:
                        words.add(form)
    return words


@functools.cache
def _system_words(word_list: Path, medical: Path, aff: Path) -> frozenset[str]:
    """The system's words, read once a process (the lists are read-only system files)."""
    words: set[str] = set()
    with contextlib.suppress(OSError):  # missing or unreadable: the lexicon says so in its hint
        words.update(w.strip() for w in word_list.read_text(encoding="utf-8", errors="replace").splitlines())
    with contextlib.suppress(OSError):
        words |= expand_hunspell(medical, aff)
    words.discard("")
    return frozenset(words)


# -- the reviewer's own words ---------------------------------------------------------------------
def user_dictionary_path() -> Path:
    """``<app data>/notelasso/dictionary.txt`` (``$XDG_DATA_HOME`` honoured)."""
    return app_data_dir() / "dictionary.txt"


class UserDictionary:
    """Words the reviewer added, one a line in an owner-only (0600) file, rewritten atomically."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.words: list[str] = []
        with contextlib.suppress(OSError, UnicodeDecodeError):
            self.words = [w.strip() for w in self.path.read_text(encoding="utf-8").splitlines() if w.strip()]

    def add(self, word: str) -> None:
        """Keep ``word`` (once). Raises StorageError when the file cannot be written."""
        if word in self.words:
            return
        words = [*self.words, word]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".dictionary.", suffix=".part", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write("".join(f"{w}\n" for w in words))
                os.chmod(tmp, USER_FILE_MODE)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StorageError(
                "The word was not added: your dictionary cannot be written.",
                hint=f"Check the folder {self.path.parent} (disk full or read-only?).",
            ) from exc
        self.words = words


# -- the lexicon ---------------------------------------------------------------------------------
def osa_distance(a: str, b: str, limit: int = _MAX_EDITS) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) from ``a`` to ``b``; ``limit + 1``
    once it is sure to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            best = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, prev2[j - 2] + 1)
            cur[j] = best
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


_ALPHABET = 27  # a-z, and one count for every other character


def _letter_counts(words: list[str]) -> np.ndarray:
    """One row of 27 letter counts per (lower-case) word."""
    counts = np.zeros((len(words), _ALPHABET), dtype=np.int16)
    if not words:
        return counts
    codes = np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32).astype(np.int64) - ord("a")
    codes[(codes < 0) | (codes >= 26)] = 26
    rows = np.repeat(np.arange(len(words)), [len(w) for w in words])
    np.add.at(counts, (rows, codes), 1)
    return counts


class _Index:
    """The words by length, with their letter counts, for :meth:`Lexicon.suggest`."""

    def __init__(self, shown: dict[str, str]) -> None:
        self.words = sorted(shown, key=lambda w: (len(w), w))
        self.shown = shown
        self.counts = _letter_counts(self.words)
        lengths = np.array([len(w) for w in self.words])
        self.starts = np.searchsorted(lengths, np.arange(lengths.max(initial=0) + 2 + _MAX_EDITS))

    def near(self, low: str) -> list[str]:
        """Words whose letter counts are within reach of ``low`` by :data:`_MAX_EDITS` edits."""
        top = len(self.starts) - 1
        lo = self.starts[min(max(len(low) - _MAX_EDITS, 0), top)]
        hi = self.starts[min(len(low) + _MAX_EDITS + 1, top)]
        if lo >= hi:
            return []
        diff = self.counts[lo:hi] - _letter_counts([low])[0]
        # An insertion adds one to the letters gained, a deletion one to those lost, a substitution
        # one to each; the rows sum to the length difference, so the letters lost are gained - that.
        gained = np.clip(diff, 0, None).sum(axis=1)
        lost = gained - diff.sum(axis=1)
        keep = np.flatnonzero(np.maximum(gained, lost) <= _MAX_EDITS)
        return [self.words[lo + k] for k in keep]


def osa_distances(word: str, candidates: list[str]) -> np.ndarray:
    """:func:`osa_distance` from ``word`` to each candidate, all candidates at once (numpy)."""
    if not candidates:
        return np.zeros(0, dtype=np.int32)
    width = max(len(c) for c in candidates)
    padded = "".join(c.ljust(width, "\0") for c in candidates).encode("utf-32-le")
    codes = np.frombuffer(padded, dtype=np.uint32).reshape(len(candidates), width)
    query = [ord(c) for c in word]
    n = len(candidates)
    prev2 = prev = np.broadcast_to(np.arange(width + 1, dtype=np.int32), (n, width + 1)).copy()
    for i, qc in enumerate(query, 1):
        cur = np.empty_like(prev)
        cur[:, 0] = i
        same = codes == qc
        for j in range(1, width + 1):
            best = np.minimum(prev[:, j], cur[:, j - 1]) + 1
            best = np.minimum(best, prev[:, j - 1] + ~same[:, j - 1])
            if i > 1 and j > 1:
                swap = (codes[:, j - 2] == qc) & (codes[:, j - 1] == query[i - 2])
                best = np.where(swap, np.minimum(best, prev2[:, j - 2] + 1), best)
            cur[:, j] = best
        prev2, prev = prev, cur
    lengths = np.array([len(c) for c in candidates])
    distances: np.ndarray = prev[np.arange(n), lengths]
    return distances


class _Forms:
    """A set of words with the lookups the case rules need, and (built on first use) the index."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = frozenset(words)
        self.lower = frozenset(w for w in self.words if w == w.lower())
        self.upper = frozenset(w.upper() for w in self.words)
        self._index: _Index | None = None

    def listed(self, word: str) -> bool:
        if word in self.words:
            return True
        low = word.lower()
        if low in self.lower and ((word[0].isupper() and word[1:] == low[1:]) or word.isupper()):
            return True
        return word.isupper() and word in self.upper

    @property
    def index(self) -> _Index:
        if self._index is None:
            self._index = _Index(_shown(self.words))
        return self._index


def _shown(words: Iterable[str]) -> dict[str, str]:
    """lower case -> the form to suggest: the lower-case entry when there is one, else as listed."""
    shown: dict[str, str] = {}
    for w in sorted(words, reverse=True):  # lower case sorts last: it wins
        if "'" not in w:
            shown[w.lower()] = w
    return shown


@functools.cache
def _forms_of(words: frozenset[str]) -> _Forms:
    """The system's words are shared by every lexicon of the process (and every window)."""
    return _Forms(words)


class Lexicon:
    """Known words and suggestions. ``words``: the system's words; ``user``: the reviewer's dictionary."""

    def __init__(self, words: Iterable[str], user: UserDictionary | None = None, *, hint: str = "") -> None:
        self._system = _forms_of(frozenset(words))
        self.user = user
        self.hint = hint
        self._own = _Forms(user.words if user else ())

    @property
    def is_available(self) -> bool:
        """Whether there are word lists to check against (without them every word is known)."""
        return bool(self._system.words)

    def __len__(self) -> int:
        return len(self._system.words | self._own.words)

    def prepared(self) -> Lexicon:
        """This lexicon with its suggestion index built (done on a worker; the first right-click is then fast)."""
        if self.is_available:
            _ = self._system.index
        return self

    def _listed(self, word: str) -> bool:
        return self._system.listed(word) or self._own.listed(word)

    def is_known(self, word: str) -> bool:
        """Whether ``word`` (a :func:`tokens` word) is known, by the rules in the module's docstring."""
        if not self.is_available or len(word) < 2 or any(c.isdigit() for c in word):
            return True
        word = word.replace("\u2019", "'")
        if (word.isupper() and len(word) <= MAX_ABBREVIATION) or word.lower() in CLINICAL_WORDS:
            return True
        if self._listed(word):
            return True
        if word.lower().endswith("'s") and self._listed(word[:-2]):
            return True
        parts = word.split("-")
        return len(parts) > 1 and all(self.is_known(p) for p in parts if p)

    def suggest(self, word: str, limit: int = 5) -> list[str]:
        """Up to ``limit`` known words within two edits of ``word``, nearest first, in its case
        pattern (``FATIGE`` -> ``FATIGUE``, ``Fatige`` -> ``Fatigue``)."""
        if not self.is_available or not word:
            return []
        low = word.replace("\u2019", "'").lower()
        index = self._system.index
        own = _shown(self._own.words)  # the reviewer's words: few, compared one by one
        candidates = sorted({*index.near(low), *own})
        pairs = _bigrams(low)
        scored = [
            (int(dist), -len(pairs & _bigrams(cand)), abs(len(cand) - len(low)), cand)
            for dist, cand in zip(osa_distances(low, candidates), candidates, strict=True)
            if dist <= _MAX_EDITS  # 0: the word itself in another case (coMMUNITY -> community)
        ]
        scored.sort()
        out: list[str] = []
        for *_, cand in scored:
            form = _in_case_of(word, index.shown.get(cand) or own[cand])
            if form not in out and form != word:
                out.append(form)
            if len(out) == limit:
                break
        return out

    def add(self, word: str) -> None:
        """Add ``word`` to the reviewer's dictionary (saved at once; StorageError if it cannot be)."""
        if self.user is not None:
            self.user.add(word)
        self._own = _Forms({*self._own.words, word})

    def unknown(self, text: str) -> Iterator[Token]:
        """The words of ``text`` this lexicon does not know."""
        return (t for t in tokens(text) if not self.is_known(t.word))


def _bigrams(word: str) -> set[str]:
    return {word[k : k + 2] for k in range(len(word) - 1)}


def _in_case_of(word: str, form: str) -> str:
    """``form`` in ``word``'s case: CAPITALS (also when most letters are, OCR's ``coMMUNITY``),
    a Capital first letter, or as listed."""
    upper = sum(c.isupper() for c in word)
    if len(word) > 1 and (word.isupper() or upper > sum(c.islower() for c in word)):
        return form.upper()
    if word[:1].isupper():
        return form[:1].upper() + form[1:]
    return form


def load_lexicon(
    user_file: Path | None = None,
    *,
    word_list: Path = WORD_LIST,
    medical: Path = MEDICAL_LIST,
    aff: Path = AFFIX_FILE,
    own_words: bool = True,
) -> Lexicon:
    """The system's words and the reviewer's dictionary (``user_file``, default
    :func:`user_dictionary_path`; none with ``own_words=False``, as benchmarks read). Missing
    lists give a lexicon that knows every word, with a hint."""
    words = _system_words(word_list, medical, aff)
    missing = [p for p in (word_list, medical) if not os.access(p, os.R_OK)]
    hint = ""
    if not words:
        hint = f"No word lists: unknown words are not marked. Install them: sudo apt install {' '.join(APT_PACKAGES)}"
    elif missing:
        hint = f"Missing word list {', '.join(str(p) for p in missing)}: sudo apt install {' '.join(APT_PACKAGES)}"
    user = UserDictionary(user_file or user_dictionary_path()) if own_words else None
    return Lexicon(words, user, hint=hint)
