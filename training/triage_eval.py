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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from desktop.core.triage import DEFAULT_THRESHOLD, FEATURES, odd_shape
from training.triage_data import TRAINING_PLAIN, Line, funsd_region_lines, generated_word_lines, note_lines_read
from training.triage_fit import TARGET_FLAGGED, Word, constants, fit_weights, scores, words_of
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

#: A single signal's rule: risk >= 0.15 (a character under 0.85 for the confidences).
RISK_THRESHOLD = 0.15
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


def signal_table(
    rows: Sequence[WordRow],
    signals: dict[str, Sequence[str]],
    cap: float,
    title: str,
    rules: dict[str, float] | None = None,
) -> list[str]:
    """Each signal alone and the combinations: at its own rule (risk >= :data:`RISK_THRESHOLD`,
    or ``rules[name]``) and at the threshold that flags at most ``cap`` of the words."""
    n_wrong = sum(r.wrong for r in rows)
    lines = [
        f"{title}: {len(rows)} words, {n_wrong} read wrong ({n_wrong / max(1, len(rows)):.1%})",
        f"{'signal':<46}{'rule':>7}{'flagged':>9}{'wrong flagged':>15}   {f'at <= {cap:.0%} flagged':>22}",
    ]
    for name, parts in signals.items():
        for r in rows:
            r.risks[name] = combine(r.risks, parts)
        rule = (rules or {}).get(name, RISK_THRESHOLD)
        at_rule = share(rows, at_least(name, rule))
        t = threshold_for(rows, name, cap)
        at_cap = share(rows, at_least(name, t))
        at = (
            f"{at_cap[0]:>8.1%} -> {at_cap[1]:>6.1%}  (risk >= {t:.3f})"
            if t <= 1
            else "   n/a: its yes/no parts flag more"
        )
        lines.append(f"{name:<46}{rule:>7.2f}{at_rule[0]:>9.1%}{at_rule[1]:>15.1%}   {at}")
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


# ---- the model's own signals (FUNSD word crops) -------------------------------------------
def _word_risks(sig: WordSignals, weights: Sequence[float] | None = None) -> dict[str, float]:
    """Each model signal's risk for one word; ``weights``: the learned word score's, when fitted."""
    learned = {}
    if weights is not None:
        learned["learned"] = predict_logistic(np.asarray(weights), word_features(sig, odd_shape(sig.text)))
    return {
        **learned,
        "raw": 1 - min(sig.raw, default=1.0),
        "calibrated": 1 - min(sig.calibrated, default=1.0),
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
    "max of the model's signals": ("calibrated", "refine", "shape"),
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


# ---- the triage score over lines (notes, FUNSD regions) -------------------------------------
def _old_rule(word: Word) -> float:
    """Decision 021's score, for comparison: the largest of the confidence risk (halved where a
    second reader agrees), the check, the shape and the second reader's disagreement."""
    x = word.features
    parts = [x[0], 1.0 if word.checked else 0.0, x[4]]
    if len(x) > len(FEATURES):
        differs = x[len(FEATURES)]
        agrees = differs == 0.0 and x[len(FEATURES) + 1] == 0.0
        parts += [differs]
        parts[0] *= 0.5 if agrees else 1.0
    return max(parts)


def triage_rows(
    words: Sequence[Word], second_words: Sequence[Word] | None, weights: Weights, *, forgiving: bool = False
) -> list[WordRow]:
    """One :class:`WordRow` per word with each signal's risk and the triage score without (and,
    given ``second_words``, the same words with) the second reader. ``forgiving``: a word wrong
    only by FUNSD's spacing or grouping counts as right."""
    off = scores(words, weights[0])
    on = scores(second_words, weights[1]) if second_words is not None else None
    rows = []
    for k, w in enumerate(words):
        risks = {
            "confidence": w.features[0],
            "checks": 1.0 if w.checked else 0.0,
            "shape": w.features[4],
            "unknown": w.features[10],
            "old": _old_rule(w),
            "score": float(off[k]),
        }
        if second_words is not None and on is not None:
            s = second_words[k]
            risks["second"] = s.features[len(FEATURES)]
            risks["nothing"] = s.features[len(FEATURES) + 1]
            risks["old_second"] = _old_rule(s)
            risks["score_second"] = float(on[k])
        rows.append(WordRow(w.text, w.wrong and not (forgiving and w.forgiven), risks))
    return rows


TRIAGE_SIGNALS: dict[str, Sequence[str]] = {
    "min char confidence (T=1)": ("confidence",),
    "checks (clinical)": ("checks",),
    "odd shape (case change, letters in digits)": ("shape",),
    "unknown word (word lists, drug lexicon)": ("unknown",),
    "second reader disagrees": ("second",),
    "second reader read nothing there": ("nothing",),
    "max of risks, no second reader (decision 021)": ("old",),
    "max of risks, second reader (decision 021)": ("old_second",),
    "TRIAGE SCORE, no second reader": ("score",),
    "TRIAGE SCORE, second reader": ("score_second",),
}
TRIAGE_RULES = {
    "checks (clinical)": 1.0,
    "second reader disagrees": 1.0,
    "second reader read nothing there": 1.0,
    "TRIAGE SCORE, no second reader": DEFAULT_THRESHOLD,
    "TRIAGE SCORE, second reader": DEFAULT_THRESHOLD,
}

Weights = tuple[Sequence[float], Sequence[float]]


def _words(lines: Sequence[Line], second: bool) -> list[Word]:
    return words_of(lines, second=second, is_known=_lexicon())


@lru_cache(maxsize=1)
def _lexicon() -> Callable[[str], bool] | None:
    """The system's word lists (as the app reads them, without a reviewer's own words)."""
    from desktop.core.lexicon import load_lexicon

    lexicon = load_lexicon(own_words=False)
    return lexicon.is_known if lexicon.is_available else None


def _table(lines: Sequence[Line], second: bool, weights: Weights, cap: float, title: str, forgiving: bool = False):
    words = _words(lines, False)
    rows = triage_rows(words, _words(lines, True) if second else None, weights, forgiving=forgiving)
    return rows, signal_table(rows, _present(rows, TRIAGE_SIGNALS), cap, title, TRIAGE_RULES)


def _planted(lines: Sequence[Line], rows: Sequence[WordRow], second: bool) -> tuple[list[str], dict]:
    out, report = [], {}
    k = 0
    found: dict[str, list[int]] = {}
    for line in lines:
        for i in range(len(line.words)):
            if i in line.planted:
                found.setdefault(line.planted[i], []).append(k)
            k += 1
    for kind, idx in sorted(found.items()):
        off = sum(rows[i].risks["score"] >= DEFAULT_THRESHOLD for i in idx)
        on = sum(rows[i].risks.get("score_second", 0.0) >= DEFAULT_THRESHOLD for i in idx)
        tail = f", with the second reader {on}/{len(idx)}" if second else ""
        out.append(f"  planted wrong {kind}s flagged by the triage score: {off}/{len(idx)}{tail}")
        report[kind] = [off, len(idx)] + ([on] if second else [])
    return out, report


# ---- the report -----------------------------------------------------------------------------
def evaluate_triage(
    funsd_dir: Path | None,
    *,
    model: Path | None = None,
    word_limit: int = 1000,
    region_limit: int = 300,
    note_lines: int = 300,
    calibration_words: int = 1000,
    seed: int = 7,
    threads: int = 0,
    second_reader: bool = False,
    fit: bool = False,
    fit_words: int = 1500,
    fit_notes: int = 600,
) -> dict:
    """The triage report (``report["table"]`` the printed text). ``fit``: fit the score's
    weights on generated words and notes of other seeds (never FUNSD) and measure with those,
    printing the constants to paste into desktop/core/triage.py; else the constants there."""
    from desktop.core.triage import WEIGHTS, WEIGHTS_SECOND
    from inference.models import default_model_path

    model_path = model or default_model_path()
    if model_path is None:
        from inference.errors import NoModelError

        raise NoModelError("No recognition model is bundled.")
    if funsd_dir is not None and not (Path(funsd_dir) / "annotations").is_dir():
        from inference.errors import DocumentError

        raise DocumentError(f"{funsd_dir} has no annotations/ folder: is it the FUNSD folder?")
    if second_reader:
        from inference.second_reader import is_available

        ok, hint = is_available()
        if not ok:
            from inference.errors import BackendUnavailableError

            raise BackendUnavailableError("The second reader is not installed.", hint=hint)
    report: dict = {}
    lines: list[str] = []
    weights: Weights = (WEIGHTS, WEIGHTS_SECOND)
    reader = SignalReader(model_path, threads=threads)
    try:
        cal = calibrate(reader, calibration_words, seed)
        reader.temperature = cal["temperature"]
        report["calibration"] = cal
        lines.append(
            f"Temperature {cal['temperature']:.2f}, fitted on {cal['words']} generated words "
            f"(NLL of the true characters {cal['nll_at_1']:.3f} at T=1 -> {cal['nll_at_t']:.3f})"
        )
        if fit:
            weights = _fit(reader, fit_words, fit_notes, seed, second_reader, lines, report)
        if note_lines:
            notes = note_lines_read(reader, note_lines, seed, second_reader)
            rows, table = _table(notes, second_reader, weights, 0.30, "Generated clinical notes")
            planted, report["planted"] = _planted(notes, rows, second_reader)
            lines += ["", *table, *planted]
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
        regions, info = funsd_region_lines(
            funsd_dir, model=model, limit=region_limit, seed=seed, threads=threads, second=second_reader
        )
        title = f"FUNSD regions ({info['regions']}, lassoed; {info['truth_words_missing']} truth words not read at all)"
        rows, table = _table(regions, second_reader, weights, 0.35, title + ", strict")
        lines += ["", *table, *curve(rows, "confidence", "  min char confidence (T=1)")]
        report["funsd_regions"] = _summary(rows)
        rows, table = _table(regions, second_reader, weights, 0.35, title + ", forgiving FUNSD's spacing", True)
        lines += ["", *table]
        report["funsd_regions_forgiving"] = _summary(rows)
    if fit:
        lines += ["", "Weights fitted on generated data (paste into desktop/core/triage.py):", constants(*weights)]
        report["weights"] = [list(weights[0]), list(weights[1])]
    report["table"] = "\n".join(lines)
    return report


def _fit(
    reader: SignalReader, n_words: int, n_notes: int, seed: int, second: bool, lines: list[str], report: dict
) -> Weights:
    """Both weight sets, fitted on generated words and notes of seeds other than ``seed``."""
    words = generated_word_lines(reader, n_words, seed + 4, second)
    notes = note_lines_read(reader, n_notes, seed + 5, second)
    fitted = [fit_weights(_words([*words, *notes], False), _words(notes, False))]
    if second:
        fitted.append(fit_weights(_words([*words, *notes], True), _words(notes, True)))
    else:
        from desktop.core.triage import WEIGHTS_SECOND

        fitted.append(list(WEIGHTS_SECOND))
    n = sum(len(ln.words) for ln in [*words, *notes])
    wrong = sum(sum(ln.wrong) for ln in [*words, *notes])
    lines.append(
        f"Triage score fitted on {len(words)} generated words and {len(notes)} generated note lines "
        f"({n} words, {wrong} read wrong, seeds {seed + 4} and {seed + 5}); threshold picked for "
        f"<= {TARGET_FLAGGED:.1%} of the note words flagged" + ("" if second else " (second-reader set kept)")
    )
    report["fit"] = {"words": n, "wrong": wrong}
    return fitted[0], fitted[1]


def _summary(rows: Sequence[WordRow]) -> dict:
    out: dict[str, Any] = {"words": len(rows), "wrong": sum(r.wrong for r in rows)}
    for name in [*WORD_SIGNALS, *TRIAGE_SIGNALS]:
        if rows and name in rows[0].risks:
            rule = TRIAGE_RULES.get(name, RISK_THRESHOLD)
            out[name] = dict(zip(("flagged", "recall"), share(rows, at_least(name, rule))))
    return out
