"""Region accuracy on FUNSD (validation only): what a reviewer gets from a lassoed region.

Every FUNSD entity (a label or a value: one word to a paragraph) is cut out of its page as a
reviewer's rectangle would be, the entity's box with a loose margin, and read whole: by
NoteLasso through ``Recognizer.recognize`` (crop, orientation, layout, batched word or phrase
crops, exactly the app's path), by Tesseract (``--psm 6``, a uniform block of text) and by
any other engine installed, all on the same pixels in one run.

Scores compare whitespace-normalised text: region exact (the whole region right), CER
(character edits / reference characters, spaces included) and WER (word edits / reference
words). This figure, not word crops, decides whether a model or layout change is released.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from inference.recognizer import Recognizer
from inference.spec import PARSEQ_CHARSET
from training.funsd import iter_forms
from training.metrics import edit_distance

MARGIN = 6  # px around the entity box, as a reviewer's loose rectangle (FUNSD is ~100 dpi)
MULTI_SHARE = 0.25  # of the sample drawn from multi-line entities (paragraph-like regions)


@dataclass(frozen=True, slots=True)
class FunsdRegion:
    form: str
    page: np.ndarray  # the whole gray page
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 with the margin, clipped to the page
    text: str  # the entity's words joined by single spaces
    lines: int  # text lines the entity spans

    @property
    def crop(self) -> np.ndarray:
        x0, y0, x1, y1 = self.box
        return self.page[y0:y1, x0:x1]

    @property
    def polygon(self) -> list[tuple[float, float]]:
        x0, y0, x1, y1 = self.box
        return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _count_lines(word_boxes: list[list[int]]) -> int:
    """Text lines among word boxes: a word starts a new line when it lies below the last one."""
    lines, last = 0, None
    for x0, y0, x1, y1 in word_boxes:
        if last is None or y0 >= (last[1] + last[3]) / 2:
            lines += 1
        last = (x0, y0, x1, y1)
    return lines


def iter_regions(root: Path, *, charset: str = PARSEQ_CHARSET, margin: int = MARGIN):
    """Every entity whose text is non-empty and within ``charset`` (plus the space)."""
    allowed = set(charset) | {" "}
    for form, page, entities in iter_forms(root):
        h, w = page.shape
        for entity in entities:
            words = [wd for wd in entity.get("words", []) if wd.get("text", "").strip()]
            text = " ".join(" ".join(wd["text"] for wd in words).split())
            if not text or any(c not in allowed for c in text):
                continue
            x0, y0, x1, y1 = entity["box"]
            box = (max(0, x0 - margin), max(0, y0 - margin), min(w, x1 + margin), min(h, y1 + margin))
            if box[2] - box[0] < 4 or box[3] - box[1] < 4:
                continue
            yield FunsdRegion(form, page, box, text, _count_lines([wd["box"] for wd in words]))


def sample_regions(root: Path, n: int, seed: int = 7) -> list[FunsdRegion]:
    """``n`` regions (0: all), a quarter of them multi-line; the same for the same arguments."""
    regions = list(iter_regions(root))
    if not n or n >= len(regions):
        return regions
    rng = random.Random(seed)
    multi = [r for r in regions if r.lines > 1]
    single = [r for r in regions if r.lines <= 1]
    n_multi = min(len(multi), round(n * MULTI_SHARE))
    return rng.sample(single, n - n_multi) + rng.sample(multi, n_multi)


@dataclass(frozen=True, slots=True)
class RegionScores:
    count: int
    exact: float
    cer: float
    wer: float

    def row(self) -> str:
        return f"exact {self.exact:.3f}  CER {self.cer:.3f}  WER {self.wer:.3f}  (n={self.count})"


def normalise(text: str) -> str:
    return " ".join(text.split())


def score_regions(predictions: Sequence[str], truths: Sequence[str]) -> RegionScores:
    """Region exact, CER and WER of whitespace-normalised texts (micro-averaged)."""
    if len(predictions) != len(truths):
        raise ValueError("predictions and truths differ in length")
    if not truths:
        return RegionScores(0, 0.0, 0.0, 0.0)
    preds = [normalise(p) for p in predictions]
    refs = [normalise(t) for t in truths]
    exact = sum(p == t for p, t in zip(preds, refs)) / len(refs)
    cer = sum(edit_distance(p, t) for p, t in zip(preds, refs)) / max(1, sum(len(t) for t in refs))
    wer = sum(edit_distance(p.split(), t.split()) for p, t in zip(preds, refs)) / max(
        1, sum(len(t.split()) for t in refs)
    )
    return RegionScores(len(refs), exact, cer, wer)


Reader = Callable[[FunsdRegion], str]


def notelasso_reader(recognizer: Recognizer) -> Reader:
    def read(region: FunsdRegion) -> str:
        return recognizer.recognize(region.page, region.polygon).text

    return read


def tesseract_reader(psm: int = 6) -> Reader | None:
    exe = shutil.which("tesseract")
    if exe is None:
        return None
    tmp = Path(tempfile.mkdtemp(prefix="notelasso-eval-"))

    def read(region: FunsdRegion) -> str:
        path = tmp / "region.png"
        cv2.imwrite(str(path), region.crop)
        out = subprocess.run(
            [exe, str(path), "stdout", "--psm", str(psm), "-l", "eng"], capture_output=True, text=True, timeout=120
        )
        return out.stdout

    read.cleanup = lambda: shutil.rmtree(tmp, ignore_errors=True)  # type: ignore[attr-defined]
    return read


def rapidocr_reader() -> Reader | None:
    """PP-OCR (detection + recognition) through rapidocr, when that package is installed."""
    try:
        from rapidocr import RapidOCR
    except ImportError:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError:
            return None
    engine = RapidOCR()

    def read(region: FunsdRegion) -> str:
        result = engine(cv2.cvtColor(region.crop, cv2.COLOR_GRAY2BGR))
        if hasattr(result, "txts"):  # rapidocr >= 2
            boxes, texts = result.boxes, result.txts
        else:
            items = result[0] or []
            boxes, texts = [it[0] for it in items], [it[1] for it in items]
        if boxes is None or texts is None or not len(texts):
            return ""
        return _join_detections([np.asarray(b) for b in boxes], list(texts))

    return read


def _join_detections(boxes: list[np.ndarray], texts: list[str]) -> str:
    """Detected text boxes in reading order: rows by vertical overlap, left to right."""
    items = sorted(zip(boxes, texts), key=lambda bt: float(bt[0][:, 1].mean()))
    rows: list[list[tuple[np.ndarray, str]]] = []
    for box, text in items:
        cy, h = float(box[:, 1].mean()), float(np.ptp(box[:, 1]))
        if rows and abs(cy - float(np.mean([b[:, 1].mean() for b, _ in rows[-1]]))) < 0.5 * max(h, 1):
            rows[-1].append((box, text))
        else:
            rows.append([(box, text)])
    return " ".join(t for row in rows for _, t in sorted(row, key=lambda bt: float(bt[0][:, 0].min())))


def run_reader(read: Reader, regions: Sequence[FunsdRegion]) -> tuple[list[str], float]:
    """Texts and milliseconds per region (after one warm-up read)."""
    if regions:
        read(regions[0])
    t0 = time.perf_counter()
    texts = [read(r) for r in regions]
    return texts, (time.perf_counter() - t0) * 1e3 / max(1, len(regions))


def region_report(regions: Sequence[FunsdRegion], readers: dict[str, Reader]) -> dict:
    """Every reader over the same regions: scores for all, single-line and multi-line regions."""
    truths = [r.text for r in regions]
    multi = [i for i, r in enumerate(regions) if r.lines > 1]
    single = [i for i, r in enumerate(regions) if r.lines <= 1]
    report: dict = {"regions": len(regions), "multi_line": len(multi), "readers": {}}
    header = f"{'engine':<28}{'exact':>7}{'CER':>7}{'WER':>7}{'ms/region':>11}   {'single-line':<21}{'multi-line':<21}"
    lines = [f"FUNSD regions: {len(regions)} ({len(multi)} multi-line), entity box + {MARGIN} px", header]
    for name, read in readers.items():
        texts, ms = run_reader(read, regions)
        every = score_regions(texts, truths)
        one = score_regions([texts[i] for i in single], [truths[i] for i in single])
        many = score_regions([texts[i] for i in multi], [truths[i] for i in multi])
        report["readers"][name] = {
            "all": asdict(every),
            "single_line": asdict(one),
            "multi_line": asdict(many),
            "ms_per_region": ms,
            "texts": texts,
        }
        lines.append(
            f"{name:<28}{every.exact:>7.3f}{every.cer:>7.3f}{every.wer:>7.3f}{ms:>11.1f}   "
            f"{one.cer:>6.3f} / {one.wer:<6.3f}     {many.cer:>6.3f} / {many.wer:<6.3f}"
        )
        cleanup = getattr(read, "cleanup", None)
        if cleanup:
            cleanup()
    lines.append("(single-line and multi-line columns: CER / WER)")
    report["table"] = "\n".join(lines)
    return report
