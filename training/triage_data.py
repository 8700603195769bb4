"""What the triage is fitted and measured on: lines of words as the model read them, with each
word's character confidences, the second reader's word there, and the truth.

Three kinds of source, all read by the real model:

- **generated words** (``training.corpus`` tokens rendered as the training data is), one a line;
- **generated clinical notes** (``training.clinical_notes``), rendered word by word, with planted
  misreadings of doses, dates, vitals and drug names (kept at the model's confidence);
- **FUNSD validation regions**, read through the app's path (``Recognizer.recognize`` with the
  system's word lists), the words aligned to FUNSD's truth by edit distance. Never fitted on.

The second reader is the app's (``inference.second_reader.RapidOcrReader``, PP-OCR): it reads
each generated word crop, and each FUNSD region as the app sends it. A :class:`Line` keeps only
what the app itself has (texts, confidences, the second reading), so the triage score is
computed from lines exactly as the app computes it.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Share of clean prints in the released model's training data (MODEL_CARD.md: --plain 0.25).
TRAINING_PLAIN = 0.25


@dataclass
class Line:
    """One line (a note line, a generated word, a FUNSD region) as read.

    ``confidences``: per word, the model's character probabilities (temperature 1, as the app
    stores them). ``second``: per word, what the second reader read there ("" nothing; None when
    no second reader ran). ``wrong``: per word, read wrong (strict); ``forgiven``: per word, wrong
    only by FUNSD's spacing or word grouping (:func:`forgiven_words`). ``planted``: word index ->
    kind of a planted misreading. ``years``: the document's years (notes)."""

    source: str
    words: list[str]
    confidences: list[tuple[float, ...]]
    wrong: list[bool]
    second: list[str] | None = None
    forgiven: list[bool] = field(default_factory=list)
    planted: dict[int, str] = field(default_factory=dict)
    years: tuple[int, ...] = ()


def _second_reader() -> Any:
    from inference.second_reader import RapidOcrReader

    return RapidOcrReader(threads=1)


def _second_words(reader: Any, crops: Sequence[Any]) -> list[str]:
    return [" ".join(reader.read(c).texts) for c in crops]


# ---- generated words ------------------------------------------------------------------------
def generated_word_lines(signal_reader: Any, n: int, seed: int, second: bool) -> list[Line]:
    """``n`` corpus tokens rendered like the training data, each its own line."""
    from training.corpus import TextSampler
    from training.render import WordRenderer

    renderer, sampler = WordRenderer(seed, plain=TRAINING_PLAIN), TextSampler(seed)
    truths = [sampler.token() for _ in range(n)]
    crops = [renderer.render(t) for t in truths]
    sigs = signal_reader.read(crops)
    others = _second_words(_second_reader(), crops) if second else None
    return [
        Line("words", [s.text], [s.raw], [s.text != t], [others[i]] if others is not None else None)
        for i, (s, t) in enumerate(zip(sigs, truths))
    ]


# ---- generated clinical notes ---------------------------------------------------------------
def note_lines_read(signal_reader: Any, n_lines: int, seed: int, second: bool, plant_share: float = 0.33) -> list[Line]:
    """Note lines rendered word by word, read by the model; a random ``plant_share`` of the lines
    with a dose, date, vital or drug name get a planted misreading of it (keeping the model's
    confidence for that word: a confident misreading; the second reader read the true word).
    Each note (``NOTE_LENGTH`` lines) is its own document for the year check."""
    from desktop.core.checks import years_in
    from training.clinical_notes import NOTE_LENGTH, note_lines, plant
    from training.render import WordRenderer

    lines = note_lines(n_lines, seed)
    renderer = WordRenderer(seed, plain=TRAINING_PLAIN)
    crops = [renderer.render(w) for line in lines for w in line.words]
    sigs = iter(signal_reader.read(crops))
    seconds = iter(_second_words(_second_reader(), crops)) if second else None
    rng = random.Random(seed)
    out: list[Line] = []
    far_planted: set[int] = set()
    for li, line in enumerate(lines):
        read = [next(sigs) for _ in line.words]
        texts = [s.text for s in read]
        planted: dict[int, str] = {}
        if rng.random() < plant_share:
            note = li // NOTE_LENGTH
            spot = plant(line, rng, far_year=note not in far_planted)
            if spot is not None:
                texts[spot[0]] = spot[1]
                planted[spot[0]] = spot[2]
                if spot[2] == "date" and spot[0] == 2 and not spot[1].endswith(line.words[2][-4:]):
                    far_planted.add(note)
        other = [next(seconds) for _ in line.words] if seconds is not None else None
        wrong = [t != truth for t, truth in zip(texts, line.words)]
        out.append(Line("notes", texts, [s.raw for s in read], wrong, other, planted=planted))
    for start in range(0, len(out), NOTE_LENGTH):
        one_note = out[start : start + NOTE_LENGTH]
        years = tuple(y for ln in one_note for y in years_in(" ".join(ln.words)))
        for ln in one_note:
            ln.years = years
    return out


# ---- FUNSD regions --------------------------------------------------------------------------
def align_to_truth(pred: Sequence[str], truth: Sequence[str]) -> list[bool]:
    """For each predicted word: is it wrong (not matched to an equal truth word)? Edit-distance
    alignment of the word sequences, a substitution costing the normalised character distance."""
    from training.metrics import edit_distance

    n, m = len(pred), len(truth)
    cost = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        cost[i][0] = i
    for j in range(m + 1):
        cost[0][j] = j

    def sub(i: int, j: int) -> float:
        return edit_distance(pred[i], truth[j]) / max(1, len(pred[i]), len(truth[j]))

    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(cost[i - 1][j] + 1, cost[i][j - 1] + 1, cost[i - 1][j - 1] + sub(i - 1, j - 1))
    wrong = [True] * n
    i, j = n, m
    while i > 0 and j > 0:
        if abs(cost[i][j] - (cost[i - 1][j - 1] + sub(i - 1, j - 1))) < 1e-9:
            wrong[i - 1] = pred[i - 1] != truth[j - 1]
            i, j = i - 1, j - 1
        elif abs(cost[i][j] - (cost[i - 1][j] + 1)) < 1e-9:
            i -= 1
        else:
            j -= 1
    return wrong


#: The longest run of words joined when FUNSD's spacing is forgiven.
FORGIVEN_RUN = 3


def forgiven_words(pred: Sequence[str], truth: Sequence[str], wrong: Sequence[bool]) -> list[bool]:
    """For each predicted word: wrong (strictly) only because FUNSD groups punctuation or orders
    words differently from the alignment. Precisely: a strictly wrong word is forgiven when it
    lies in a run of 1 to :data:`FORGIVEN_RUN` consecutive predicted words whose characters,
    joined, equal those of a run of 1 to :data:`FORGIVEN_RUN` consecutive truth words of the same
    region, and every join inside either run touches a character that is neither letter nor
    digit ("3/30/81" for FUNSD's "3 /30 /81"; "Date :" for "Date:"; a word the alignment paired
    with another because FUNSD lists words in another order). Every character must match, and a
    space missed or added between two letters or digits ("ofthe" for "of the") is not forgiven."""

    def joins_at_punctuation(words: Sequence[str]) -> bool:
        return all(not (x[-1:].isalnum() and y[:1].isalnum()) for x, y in itertools.pairwise(words))

    runs = {
        "".join(truth[j : j + k])
        for k in range(1, FORGIVEN_RUN + 1)
        for j in range(len(truth) - k + 1)
        if joins_at_punctuation(truth[j : j + k])
    }
    out = []
    for i, bad in enumerate(wrong):
        ok = False
        if bad:
            for a in range(max(0, i - FORGIVEN_RUN + 1), i + 1):
                for b in range(i + 1, min(len(pred), a + FORGIVEN_RUN) + 1):
                    if joins_at_punctuation(pred[a:b]) and "".join(pred[a:b]) in runs:
                        ok = True
        out.append(ok)
    return out


def funsd_region_lines(
    funsd_dir: Path, *, model: Path | None, limit: int, seed: int, threads: int, second: bool
) -> tuple[list[Line], dict]:
    """FUNSD validation regions read as the app reads them (the system's word lists on); the
    second reader reads each region as the app sends it (its polygon on the page)."""
    from desktop.core.lexicon import load_lexicon
    from desktop.core.triage import align_second_reading
    from inference.backends import BackendConfig, open_backend
    from inference.recognizer import Recognizer
    from training.regions import sample_regions

    regions = sample_regions(funsd_dir, limit, seed=seed)
    backend = open_backend(BackendConfig("cpu", {"model_path": model, "threads": threads or None}))
    lexicon = load_lexicon(own_words=False)
    reader = Recognizer(backend, batch_size=32, vocabulary=lexicon if lexicon.is_available else None)
    other = _second_reader() if second else None
    out: list[Line] = []
    missed = 0
    t0 = time.perf_counter()
    try:
        for region in regions:
            words = [w for w in reader.recognize(region.page, region.polygon).words if w.text]
            texts = [w.text for w in words]
            truth = region.text.split()
            missed += max(0, len(truth) - len(texts))
            wrong = align_to_truth(texts, truth)
            seconds = None
            if other is not None:
                seconds = align_second_reading(texts, " ".join(other.read_region(region.page, region.polygon).texts))
            out.append(
                Line(
                    "funsd",
                    texts,
                    [tuple(w.confidences) for w in words],
                    wrong,
                    seconds,
                    forgiven=forgiven_words(texts, truth, wrong),
                )
            )
    finally:
        backend.close()
    info = {"regions": len(regions), "truth_words_missing": missed, "seconds": time.perf_counter() - t0}
    return out, info
