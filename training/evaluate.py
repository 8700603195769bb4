"""Word accuracy on FUNSD crops (validation only), NoteLasso and Tesseract side by side.

Both read the same crops (the word box padded by 2 px, as FUNSD's reference figures do).
NoteLasso reads them through the shipped inference path (ONNX Runtime, batched); Tesseract
reads each crop as one text line (``--psm 7``) through its command-line program.

A second NoteLasso row reads the same words as the app reads a lassoed region: a rectangle of
the same pixels on the page, through ``Recognizer.recognize`` (crop, layout, word crops). What
it loses against the crop row is what the layout (word splitting, fragments at the edges) costs.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import cv2

from inference.backends import BackendConfig, open_backend
from inference.errors import DocumentError, InputError
from inference.recognizer import Recognizer
from training.funsd import FunsdWord, sample_words
from training.metrics import WordScores, score_words


def read_with_notelasso(reader: Recognizer, crops: list) -> tuple[list[str], float]:
    reader.read_crops(crops[:8])  # warm-up
    t0 = time.perf_counter()
    texts = [d.text for d in reader.read_crops(crops)]
    ms = (time.perf_counter() - t0) * 1e3 / max(1, len(crops))
    return texts, ms


def read_lassoed(reader: Recognizer, words: list[FunsdWord]) -> tuple[list[str], float]:
    """Each word read through a rectangular region around its box, as the app reads a lasso."""
    t0 = time.perf_counter()
    texts = []
    for word in words:
        x0, y0, x1, y1 = word.box
        result = reader.recognize(word.page, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
        texts.append(" ".join(result.text.split()))
    ms = (time.perf_counter() - t0) * 1e3 / max(1, len(words))
    return texts, ms


def read_with_tesseract(crops: list) -> tuple[list[str], float] | None:
    exe = shutil.which("tesseract")
    if exe is None:
        return None
    texts = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "crop.png"
        t0 = time.perf_counter()
        for crop in crops:
            cv2.imwrite(str(path), crop)
            out = subprocess.run(
                [exe, str(path), "stdout", "--psm", "7", "-l", "eng"], capture_output=True, text=True, timeout=60
            )
            texts.append(" ".join(out.stdout.split()))
        ms = (time.perf_counter() - t0) * 1e3 / max(1, len(crops))
    return texts, ms


def _row(name: str, s: WordScores, ms: float) -> str:
    return f"{name:<24}{s.exact:>8.3f}{s.alnum_ci:>10.3f}{s.cer:>8.3f}{ms:>10.1f}"


def evaluate_funsd(
    funsd_dir: Path,
    *,
    model: Path | None = None,
    limit: int = 0,
    seed: int = 7,
    threads: int = 0,
    tesseract: bool = True,
) -> dict:
    funsd_dir = Path(funsd_dir)
    if not (funsd_dir / "annotations").is_dir():
        raise DocumentError(f"{funsd_dir} has no annotations/ folder: is it the FUNSD folder?")
    from inference.spec import PARSEQ_CHARSET

    words = sample_words(funsd_dir, limit or None, seed=seed, charset=PARSEQ_CHARSET)
    if not words:
        raise InputError(f"No word crops found in {funsd_dir}.")
    crops, truths = [w.crop for w in words], [w.text for w in words]
    # One model load serves both NoteLasso rows.
    backend = open_backend(BackendConfig("cpu", {"model_path": model, "threads": threads or None}))
    try:
        reader = Recognizer(backend, batch_size=32)
        rows = {
            "notelasso": ("NoteLasso (batched)", *read_with_notelasso(reader, crops)),
            "notelasso_lassoed": ("NoteLasso (lassoed)", *read_lassoed(reader, words)),
        }
    finally:
        backend.close()
    report: dict = {"words": len(words)}
    lines = [
        f"FUNSD word crops: {len(words)} (seed {seed})",
        f"{'reader':<24}{'exact':>8}{'alnum-ci':>10}{'CER':>8}{'ms/word':>10}",
    ]
    for key, (label, texts, ms) in rows.items():
        scores = score_words(texts, truths)
        report[key] = {**asdict(scores), "ms_per_word": ms}
        lines.append(_row(label, scores, ms))
    if tesseract:
        tess = read_with_tesseract(crops)
        if tess is None:
            lines.append("Tesseract: not installed (apt install tesseract-ocr tesseract-ocr-eng)")
        else:
            scores = score_words(tess[0], truths)
            report["tesseract"] = {**asdict(scores), "ms_per_word": tess[1]}
            lines.append(_row("Tesseract --psm 7", scores, tess[1]))
    report["table"] = "\n".join(lines)
    return report


def evaluate_regions(
    funsd_dir: Path,
    *,
    model: Path | list[Path | None] | None = None,
    limit: int = 1000,
    seed: int = 7,
    threads: int = 0,
    tesseract: bool = True,
    others: bool = True,
    vocabulary: str = "on",
) -> dict:
    """Region accuracy (training.regions) of NoteLasso beside Tesseract and any other engine.

    ``model`` may be a list: each model is a row of its own in the same run (a release candidate
    beside the released model). ``vocabulary``: "on" reads with the system's word lists as the
    app does (decision 024), "off" without, "both" gives each model both rows."""
    from training.regions import (
        Reader,
        notelasso_reader,
        rapidocr_reader,
        region_report,
        sample_regions,
        tesseract_reader,
    )

    funsd_dir = Path(funsd_dir)
    if not (funsd_dir / "annotations").is_dir():
        raise DocumentError(f"{funsd_dir} has no annotations/ folder: is it the FUNSD folder?")
    regions = sample_regions(funsd_dir, limit, seed=seed)
    if not regions:
        raise InputError(f"No regions found in {funsd_dir}.")
    backends = []
    from desktop.core.lexicon import load_lexicon

    # the system's word lists only, not the reviewer's dictionary: the same figure on any machine
    words = load_lexicon(own_words=False)
    try:
        readers: dict[str, Reader] = {}
        for path in model if isinstance(model, list) else [model]:
            backend = open_backend(BackendConfig("cpu", {"model_path": path, "threads": threads or None}))
            backends.append(backend)
            name = f"NoteLasso {backend.spec.version}"
            if name in readers:
                name = f"{name} ({len(readers) + 1})"
            if vocabulary in ("off", "both"):
                off = f"{name}, no word lists" if vocabulary == "both" else name
                readers[off] = notelasso_reader(Recognizer(backend, batch_size=32))
            if vocabulary in ("on", "both"):
                readers[name] = notelasso_reader(Recognizer(backend, batch_size=32, vocabulary=words))
        missing = []
        if vocabulary != "off" and not words.is_available:
            missing.append(f"NoteLasso read without word lists: {words.hint}")
        if tesseract:
            tess = tesseract_reader(6)
            if tess is None:
                missing.append("Tesseract: not installed (apt install tesseract-ocr tesseract-ocr-eng)")
            else:
                readers["Tesseract 5 --psm 6"] = tess
        if others:
            rapid = rapidocr_reader()
            if rapid is not None:
                readers["PP-OCR (rapidocr)"] = rapid
        report = region_report(regions, readers)
    finally:
        for backend in backends:
            backend.close()
    report["seed"] = seed
    if missing:
        report["table"] += "\n" + "\n".join(missing)
    return report
