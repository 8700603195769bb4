"""Measure triage: the share of wrongly read words flagged (recall) against the share of all
words flagged, for each signal alone and combined (``notelasso-train eval --triage``).

Three sets, all read by the real model:

- **generated words** fit the temperature (never FUNSD): rendered like the training data;
- **FUNSD validation** word crops (every signal, including refinement-vs-first-pass) and
  lassoed regions (the app's path: layout, calibrated confidence, checks, shape, a second
  reader when one is given), words aligned to the truth by edit distance;
- **generated clinical notes** (training.clinical_notes): lines of doses, dates, vitals and
  drug names rendered word by word like the training data, plus planted misreadings of each
  kind, each of which must be flagged.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from desktop.core.checks import flags_by_word, run_checks, years_in
from desktop.core.triage import DEFAULT_THRESHOLD, odd_shape
from training.triage_signals import (
    SignalReader,
    WordSignals,
    expected_calibration_error,
    fit_logistic,
    fit_temperature,
    predict_logistic,
    signals_from_logits,
    word_features,
)

if TYPE_CHECKING:
    from inference.backends.base import Backend

#: Share of clean prints in the released model's training data (MODEL_CARD.md: --plain 0.25).
TRAINING_PLAIN = 0.25
#: Signals measured alone; "combined" takes the largest risk of its parts.
CONFIDENCE_THRESHOLDS = (0.6, 0.8, 0.9, 0.95, 0.98, 0.99)


@dataclass
class WordRow:
    """One word as read, whether it is wrong, and each signal's risk (0-1)."""

    text: str
    wrong: bool
    risks: dict[str, float]


def share(rows: Sequence[WordRow], flagged: Callable[[WordRow], bool]) -> tuple[float, float]:
    """(share of all words flagged, share of wrong words flagged)."""
    if not rows:
        return 0.0, 0.0
    hits = [flagged(r) for r in rows]
    wrong = [r.wrong for r in rows]
    n_wrong = sum(wrong)
    return sum(hits) / len(rows), (sum(h and w for h, w in zip(hits, wrong)) / n_wrong if n_wrong else 1.0)


def at_least(signal: str, threshold: float) -> Callable[[WordRow], bool]:
    """Flag a word whose ``signal`` risk reaches ``threshold``."""

    def flagged(row: WordRow) -> bool:
        return row.risks.get(signal, 0.0) >= threshold

    return flagged


def threshold_for(rows: Sequence[WordRow], signal: str, cap: float) -> float:
    """The lowest risk threshold that flags at most ``cap`` of the words on this signal."""
    risks = sorted((r.risks.get(signal, 0.0) for r in rows), reverse=True)
    if not risks:
        return 1.0
    k = int(cap * len(risks))
    if k >= len(risks):
        return 1e-9
    # flag risk >= t; t just above the (k+1)-th largest risk keeps the count <= k (above 1: none,
    # when binary signals alone flag more than the cap)
    return float(np.nextafter(risks[k], 2.0))


def combine(risks: dict[str, float], parts: Sequence[str]) -> float:
    return max((risks.get(p, 0.0) for p in parts), default=0.0)


def signal_table(rows: Sequence[WordRow], signals: dict[str, Sequence[str]], cap: float, title: str) -> list[str]:
    """Each signal alone and the combination: at the default threshold and at the threshold
    that flags at most ``cap`` of the words."""
    n_wrong = sum(r.wrong for r in rows)
    lines = [
        f"{title}: {len(rows)} words, {n_wrong} read wrong ({n_wrong / max(1, len(rows)):.1%})",
        f"{'signal':<44}{'flagged':>9}{'wrong flagged':>15}   {'at <= ' + format(cap, '.0%') + ' flagged':>22}",
    ]
    for name, parts in signals.items():
        for r in rows:
            r.risks[name] = combine(r.risks, parts)
        at_default = share(rows, at_least(name, DEFAULT_THRESHOLD))
        t = threshold_for(rows, name, cap)
        at_cap = share(rows, at_least(name, t))
        at = (
            f"{at_cap[0]:>8.1%} -> {at_cap[1]:>6.1%}  (risk >= {t:.3f})"
            if t <= 1
            else "   n/a: its yes/no parts flag more"
        )
        lines.append(f"{name:<44}{at_default[0]:>9.1%}{at_default[1]:>15.1%}   {at}")
    return lines


def curve(rows: Sequence[WordRow], signal: str, label: str) -> list[str]:
    """Confidence threshold -> words flagged, wrong words flagged (the issue's table)."""
    out = [f"{label}: threshold, words flagged, wrong words flagged"]
    for c in CONFIDENCE_THRESHOLDS:
        f, w = share(rows, at_least(signal, np.nextafter(1 - c, 2.0)))
        out.append(f"  {c:<6}{f:>8.1%}{w:>8.1%}")
    return out


# ---- generated words: the temperature ------------------------------------------------------
def generated_words(n: int, seed: int) -> tuple[list[np.ndarray], list[str]]:
    """Words rendered as the training data is (training.corpus + training.render)."""
    from training.corpus import TextSampler
    from training.render import WordRenderer

    renderer, sampler = WordRenderer(seed, plain=TRAINING_PLAIN), TextSampler(seed)
    crops, truths = [], []
    for _ in range(n):
        text = sampler.sample()
        crops.append(renderer.render(text))
        truths.append(text)
    return crops, truths


def calibrate(reader: SignalReader, n: int, seed: int) -> dict:
    """The temperature, then the learned word score (both on generated words only)."""
    crops, truths = generated_words(n, seed)
    final, first = reader.logits(crops)
    t, nll = fit_temperature(final, truths, reader.spec)
    sigs = signals_from_logits(final, first, reader.spec, t)
    x = np.asarray([word_features(s, odd_shape(s.text)) for s in sigs], dtype=float)
    y = np.asarray([s.text != truth for s, truth in zip(sigs, truths)], dtype=float)
    weights = fit_logistic(x, y)
    return {
        "temperature": t,
        "nll_at_1": nll.get(1.0),
        "nll_at_t": nll.get(t),
        "words": n,
        "wrong": float(y.mean()),
        "learned_weights": [round(float(v), 4) for v in weights],
    }


# ---- rows from signals ----------------------------------------------------------------------
WORDLIST = Path("/usr/share/dict/american-english")  # Debian wamerican (SCOWL), as training/corpus.py


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    from desktop.core.checks import default_lexicon

    words = WORDLIST.read_text("utf-8", "replace").split() if WORDLIST.is_file() else []
    return frozenset(w.lower() for w in words) | frozenset(n.lower() for n in default_lexicon().names())


def unknown_word(text: str) -> bool:
    """A word of letters (3 or more) that neither the system word list nor the drug lexicon
    knows: misreadings of words often are ("Follozutup"); names and codes are too."""
    core = text.strip("()[]{},;:.!?\"'-#*/")
    return len(core) >= 3 and core.isalpha() and core.lower() not in _vocabulary()


def _vocab_risk(confidence_risk: float, text: str) -> float:
    """The confidence risk, doubled for a word no word list knows (measurement only)."""
    return min(1.0, confidence_risk * (2.0 if unknown_word(text) else 1.0))


def _word_risks(sig: WordSignals, weights: Sequence[float] | None = None) -> dict[str, float]:
    """Each signal's risk for one word; ``weights``: the learned word score's, when fitted."""
    learned = {}
    if weights is not None:
        learned["learned"] = predict_logistic(np.asarray(weights), word_features(sig, odd_shape(sig.text)))
    calibrated = 1 - min(sig.calibrated, default=1.0)
    return {
        **learned,
        "raw": 1 - min(sig.raw, default=1.0),
        "calibrated": calibrated,
        "agreed": calibrated,  # no second reader: nothing to discount
        "vocab": _vocab_risk(calibrated, sig.text),
        "margin": 1 - min(sig.margins, default=1.0),
        "first_pass": 1 - min(sig.first_pass_probs, default=1.0) if sig.first_pass is not None else 0.0,
        "refine": 1.0 if sig.refine_disagrees else 0.0,
        "eos": 1 - sig.eos,
        "shape": 1.0 if odd_shape(sig.text) else 0.0,
    }


WORD_SIGNALS: dict[str, Sequence[str]] = {
    "min char confidence (today, T=1)": ("raw",),
    "min char confidence, temperature-scaled": ("calibrated",),
    "best - second margin (min over chars)": ("margin",),
    "refinement disagrees with first pass": ("refine",),
    "first-pass prob. of final chars (min)": ("first_pass",),
    "end-of-word probability": ("eos",),
    "odd shape (case change, letters in digits)": ("shape",),
    "learned word score (all model signals)": ("learned",),
    "checks (clinical)": ("checks",),
    "second reader disagrees": ("second",),
    "combined without a second reader": ("calibrated", "refine", "shape", "checks"),
    "combined": ("calibrated", "refine", "shape", "checks", "second"),
    "combined, agreement discounts confidence": ("agreed", "refine", "shape", "checks", "second"),
    "combined, learned score for the model's part": ("learned", "checks", "second"),
    "combined, unknown words count double": ("vocab", "refine", "shape", "checks", "second"),
}


def _present(rows: Sequence[WordRow], signals: dict[str, Sequence[str]]) -> dict[str, Sequence[str]]:
    have = set().union(*(r.risks for r in rows)) if rows else set()
    return {k: v for k, v in signals.items() if v[0] in have}


# ---- FUNSD word crops -----------------------------------------------------------------------
def funsd_word_rows(
    reader: SignalReader, funsd_dir: Path, limit: int, seed: int, weights: Sequence[float] | None = None
) -> list[WordRow]:
    from inference.spec import PARSEQ_CHARSET
    from training.funsd import sample_words

    words = sample_words(funsd_dir, limit or None, seed=seed, charset=PARSEQ_CHARSET)
    sigs = reader.read([w.crop for w in words])
    return [WordRow(s.text, s.text != w.text, _word_risks(s, weights)) for s, w in zip(sigs, words)]


# ---- FUNSD regions (the app's path) ---------------------------------------------------------
def _align(pred: list[str], truth: list[str]) -> list[bool]:
    """For each predicted word: is it wrong (not matched to an equal truth word)?"""
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


class _Remembering:
    """A back end that remembers its latest answers, so the calibrated reading of a region
    (the same crops again) costs no second inference."""

    def __init__(self, backend: Backend, keep: int = 8) -> None:
        self._b, self._keep = backend, keep
        self._seen: dict[bytes, npt.NDArray[np.float32]] = {}
        self.spec = backend.spec

    def infer(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        key = hashlib.blake2b(batch.tobytes(), digest_size=16).digest()
        if key not in self._seen:
            self._seen[key] = self._b.infer(batch)
            while len(self._seen) > self._keep:
                self._seen.pop(next(iter(self._seen)))
        return self._seen[key]

    def close(self) -> None:
        self._b.close()


class _Scaled:
    """A back end whose logits are divided by the temperature: the recogniser's confidences
    come out calibrated through the app's own path."""

    def __init__(self, backend: Backend, temperature: float) -> None:
        self._b, self._t = backend, temperature
        self.spec = backend.spec

    def infer(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        return self._b.infer(batch) / np.float32(self._t)

    def close(self) -> None:
        self._b.close()


def funsd_region_rows(
    funsd_dir: Path,
    *,
    model: Path | None,
    temperature: float,
    limit: int,
    seed: int,
    threads: int,
    second: Callable | None,
) -> tuple[list[WordRow], dict]:
    from desktop.core.triage import AGREEMENT_DISCOUNT, align_second_reading, same_word
    from inference.backends import BackendConfig, open_backend
    from inference.recognizer import Recognizer
    from training.regions import sample_regions

    regions = sample_regions(funsd_dir, limit, seed=seed)
    backend = _Remembering(open_backend(BackendConfig("cpu", {"model_path": model, "threads": threads or None})))
    raw_reader = Recognizer(backend, batch_size=32)  # type: ignore[arg-type]
    cal_reader = Recognizer(_Scaled(backend, temperature), batch_size=32)  # type: ignore[arg-type]
    rows: list[WordRow] = []
    missed = 0
    t0 = time.perf_counter()
    try:
        for region in regions:
            raw = raw_reader.recognize(region.page, region.polygon)
            cal = cal_reader.recognize(region.page, region.polygon)
            words = raw.words
            texts = [w.text for w in words if w.text]
            words = [w for w in words if w.text]
            cal_words = [w for w in cal.words if w.text]
            truth = region.text.split()
            wrong = _align(texts, truth)
            missed += max(0, len(truth) - len(texts))
            line = " ".join(texts)
            flags = flags_by_word(line, run_checks(line))
            seconds = align_second_reading(texts, second(region)) if second is not None else None
            for k, (w, cw) in enumerate(zip(words, cal_words)):
                risks = {
                    "raw": 1 - min(w.confidences, default=1.0),
                    "calibrated": 1 - min(cw.confidences, default=1.0),
                    "vocab": _vocab_risk(1 - min(cw.confidences, default=1.0), w.text),
                    "checks": 1.0 if k in flags else 0.0,
                    "shape": 1.0 if odd_shape(w.text) else 0.0,
                }
                if seconds is not None:
                    agrees = same_word(seconds[k], w.text)
                    risks["second"] = 0.0 if agrees else 1.0
                    risks["agreed"] = risks["calibrated"] * (AGREEMENT_DISCOUNT if agrees else 1.0)
                rows.append(WordRow(w.text, wrong[k], risks))
    finally:
        backend.close()
    return rows, {"regions": len(regions), "truth_words_missing": missed, "seconds": time.perf_counter() - t0}


# ---- generated clinical notes ---------------------------------------------------------------
def note_rows(
    reader: SignalReader, n_lines: int, seed: int, plant_share: float = 0.33, weights: Sequence[float] | None = None
) -> tuple[list[WordRow], dict]:
    """Lines rendered word by word like the training data, read by the model; a random
    ``plant_share`` of the lines with a dose, date, vital or drug name get a planted misreading
    of it (keeping the model's confidence for that word: a confident misreading). Each note
    (training.clinical_notes.NOTE_LENGTH lines) is its own document for the year check."""
    import random

    from training.clinical_notes import NOTE_LENGTH, note_lines, plant
    from training.render import WordRenderer

    lines = note_lines(n_lines, seed)
    renderer = WordRenderer(seed, plain=TRAINING_PLAIN)
    crops = [renderer.render(w) for line in lines for w in line.words]
    sigs = iter(reader.read(crops))
    rng = random.Random(seed)
    read_lines: list[list[WordSignals]] = [[next(sigs) for _ in line.words] for line in lines]
    texts = [[s.text for s in line] for line in read_lines]
    planted: dict[tuple[int, int], str] = {}
    far_planted: set[int] = set()
    for li, line in enumerate(lines):
        if rng.random() < plant_share:
            note = li // NOTE_LENGTH
            spot = plant(line, rng, far_year=note not in far_planted)
            if spot is not None:
                texts[li][spot[0]] = spot[1]
                planted[(li, spot[0])] = spot[2]
                if spot[2] == "date" and spot[0] == 2 and not spot[1].endswith(line.words[2][-4:]):
                    far_planted.add(note)
    note_years = [
        [y for t in texts[i : i + NOTE_LENGTH] for y in years_in(" ".join(t))]
        for i in range(0, len(texts), NOTE_LENGTH)
    ]
    rows: list[WordRow] = []
    caught: dict[str, list[int]] = {}
    for li, (line, sig_line) in enumerate(zip(lines, read_lines)):
        text = " ".join(texts[li])
        flags = flags_by_word(text, run_checks(text, document_years=note_years[li // NOTE_LENGTH]))
        for k, (truth, sig) in enumerate(zip(line.words, sig_line)):
            risks = _word_risks(sig, weights)
            risks["checks"] = 1.0 if k in flags else 0.0
            risks["shape"] = 1.0 if odd_shape(texts[li][k]) else 0.0
            risks["vocab"] = _vocab_risk(risks["calibrated"], texts[li][k])
            row = WordRow(texts[li][k], texts[li][k] != truth, risks)
            rows.append(row)
            if (li, k) in planted:
                caught.setdefault(planted[(li, k)], []).append(len(rows) - 1)
    return rows, {"lines": len(lines), "planted": caught}


# ---- the report -----------------------------------------------------------------------------
def evaluate_triage(
    funsd_dir: Path | None,
    *,
    model: Path | None = None,
    word_limit: int = 1000,
    region_limit: int = 300,
    note_lines: int = 240,
    calibration_words: int = 1000,
    seed: int = 7,
    threads: int = 0,
    second_reader: str | None = None,
) -> dict:
    from inference.models import default_model_path

    model_path = model or default_model_path()
    if model_path is None:
        from inference.errors import NoModelError

        raise NoModelError("No recognition model is bundled.")
    if funsd_dir is not None and not (Path(funsd_dir) / "annotations").is_dir():
        from inference.errors import DocumentError

        raise DocumentError(f"{funsd_dir} has no annotations/ folder: is it the FUNSD folder?")
    report: dict = {}
    lines: list[str] = []
    reader = SignalReader(model_path, threads=threads)
    try:
        cal = calibrate(reader, calibration_words, seed)
        reader.temperature = cal["temperature"]
        report["calibration"] = cal
        lines.append(
            f"Temperature {cal['temperature']:.2f}, fitted on {cal['words']} generated words "
            f"(NLL of the true characters {cal['nll_at_1']:.3f} at T=1 -> {cal['nll_at_t']:.3f})"
        )
        if note_lines:
            rows, info = note_rows(reader, note_lines, seed, weights=cal["learned_weights"])
            lines += ["", *signal_table(rows, _present(rows, WORD_SIGNALS), 0.30, "Generated clinical notes")]
            for kind, idx in sorted(info["planted"].items()):
                got = sum(1 for i in idx if rows[i].risks["combined"] >= DEFAULT_THRESHOLD)
                lines.append(f"  planted wrong {kind}s flagged (combined, default threshold): {got}/{len(idx)}")
                report.setdefault("planted", {})[kind] = [got, len(idx)]
            report["notes"] = _summary(rows)
        if funsd_dir is not None and word_limit:
            rows = funsd_word_rows(reader, funsd_dir, word_limit, seed, cal["learned_weights"])
            lines += ["", *signal_table(rows, _present(rows, WORD_SIGNALS), 0.35, "FUNSD word crops")]
            lines += curve(rows, "raw", "  min char confidence (T=1)")
            lines += curve(rows, "calibrated", f"  temperature-scaled (T={reader.temperature:.2f})")
            conf = [min(r.risks["raw"], 1.0) for r in rows]
            ece_raw = expected_calibration_error([1 - c for c in conf], [not r.wrong for r in rows])
            ece_cal = expected_calibration_error([1 - r.risks["calibrated"] for r in rows], [not r.wrong for r in rows])
            lines.append(f"  word ECE (min char confidence vs word right): {ece_raw:.3f} at T=1 -> {ece_cal:.3f}")
            report["funsd_words"] = _summary(rows)
    finally:
        reader.close()
    if funsd_dir is not None and region_limit:
        second = _second_reader(second_reader)
        rows, info = funsd_region_rows(
            funsd_dir,
            model=model,
            temperature=report["calibration"]["temperature"],
            limit=region_limit,
            seed=seed,
            threads=threads,
            second=second,
        )
        title = f"FUNSD regions ({info['regions']}, lassoed; {info['truth_words_missing']} truth words not read at all)"
        if second_reader:
            title += f"; second reader: {second_reader}"
        lines += ["", *signal_table(rows, _present(rows, WORD_SIGNALS), 0.35, title)]
        lines += curve(rows, "raw", "  min char confidence (T=1)")
        report["funsd_regions"] = _summary(rows)
    report["table"] = "\n".join(lines)
    return report


def _second_reader(name: str | None) -> Callable | None:
    if not name:
        return None
    from training.regions import rapidocr_reader, tesseract_reader

    read = {"tesseract": lambda: tesseract_reader(6), "rapidocr": rapidocr_reader}[name]()
    if read is None:
        from inference.errors import BackendUnavailableError

        raise BackendUnavailableError(f"The second reader '{name}' is not installed.")
    return read


def _summary(rows: Sequence[WordRow]) -> dict:
    out: dict[str, Any] = {"words": len(rows), "wrong": sum(r.wrong for r in rows)}
    for name in WORD_SIGNALS:
        if rows and name in rows[0].risks:
            out[name] = dict(zip(("flagged", "recall"), share(rows, at_least(name, DEFAULT_THRESHOLD))))
    return out
