"""Latency and throughput of a Recognizer on rendered text of known size.

Regions: one word, one line (8 words), a 50-word paragraph (5 lines of 10 words); each timed
from page pixels to text (crop, layout, inference, decoding) and reported as p50/p95. Then
crops/s when word crops are read in batches of 1, 8 and 32.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from inference.recognizer import Recognizer
from inference.textimage import render_lines

WORDS = (
    "patient seen today for follow up of hypertension and diabetes mellitus type two reports "
    "no chest pain BP 128/82 HR 72 RR 16 Temp 98.6F SpO2 98% Metformin 500 mg PO BID Lisinopril "
    "10 mg daily continue current plan return in three months labs HbA1c 7.2% LDL 104 mg/dL "
    "referred to cardiology DATE: 12/10/98 signed"
).split()


def percentile_ms(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples) * 1e3, q))


def _paragraph(n_words: int, per_line: int) -> list[str]:
    words = [WORDS[i % len(WORDS)] for i in range(n_words)]
    return [" ".join(words[i : i + per_line]) for i in range(0, n_words, per_line)]


def time_region(recognizer: Recognizer, lines: list[str], repeats: int, warmup: int) -> tuple[list[float], int]:
    rendered = render_lines(lines, font_size=30)
    polygon = rendered.region()
    crops = 0
    samples = []
    for i in range(warmup + repeats):
        t0 = time.perf_counter()
        result = recognizer.recognize(rendered.image, polygon)
        dt = time.perf_counter() - t0
        if i >= warmup:
            samples.append(dt)
        crops = int(result.timings_ms.get("crops", 0))
    return samples, crops


def time_batches(recognizer: Recognizer, sizes: tuple[int, ...], seconds: float = 3.0) -> dict[int, float]:
    rendered = render_lines(_paragraph(64, 8), font_size=30)
    crops = [rendered.image[y0:y1, x0:x1] for line in rendered.lines for _, (x0, y0, x1, y1) in line]
    out = {}
    for size in sizes:
        reader = Recognizer(recognizer.backend, batch_size=size)
        batch = (crops * (size // len(crops) + 1))[:size]
        reader.read_crops(batch)  # warm-up (and shape-specialisation on some back ends)
        done, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds or done < 3 * size:
            reader.read_crops(batch)
            done += size
        out[size] = done / (time.perf_counter() - t0)
    return out


def run_benchmark(
    recognizer: Recognizer,
    *,
    repeats: int = 30,
    warmup: int = 3,
    batch_sizes: tuple[int, ...] = (1, 8, 32),
    batch_seconds: float = 3.0,
    out: Callable[[str], None] = print,
) -> dict[str, Any]:
    spec = recognizer.spec
    out(f"model {spec.name} {spec.version}  back end: {recognizer.backend.label}")
    report: dict[str, Any] = {"latency": {}, "crops_per_s": {}}
    out(f"{'region':<22}{'crops':>6}{'p50 ms':>10}{'p95 ms':>10}{'regions/s':>11}")
    for label, lines in (
        ("one word", ["Metformin"]),
        ("one line (8 words)", _paragraph(8, 8)),
        ("paragraph (50 words)", _paragraph(50, 10)),
    ):
        samples, crops = time_region(recognizer, lines, repeats, warmup)
        p50, p95 = percentile_ms(samples, 50), percentile_ms(samples, 95)
        report["latency"][label] = {"p50_ms": p50, "p95_ms": p95, "crops": crops}
        out(f"{label:<22}{crops:>6}{p50:>10.1f}{p95:>10.1f}{len(samples) / sum(samples):>11.1f}")
    rates = time_batches(recognizer, batch_sizes, batch_seconds)
    for size, rate in rates.items():
        report["crops_per_s"][size] = rate
        out(f"batch {size:>3}: {rate:8.1f} crops/s")
    return report
