"""Contact sheet of synthetic samples: ``python -m training.contact_sheet -o sheet.png -n 64``."""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np

from inference.errors import ExitCode
from training.corpus import TextSampler
from training.render import WordRenderer
from training.synth import make_sample

CELL_W, CELL_H, LABEL_H = 256, 64, 16


def build_sheet(n: int, seed: int, cols: int = 4) -> np.ndarray:
    renderer, sampler = WordRenderer(seed), TextSampler(seed)
    rows = (n + cols - 1) // cols
    sheet = np.full((rows * (CELL_H + LABEL_H), cols * CELL_W), 255, np.uint8)
    for i in range(n):
        crop, label = make_sample(renderer, sampler)
        h, w = crop.shape
        scale = min((CELL_W - 8) / w, (CELL_H - 4) / h)
        cell = cv2.resize(crop, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_NEAREST)
        r, c = divmod(i, cols)
        y, x = r * (CELL_H + LABEL_H), c * CELL_W
        sheet[y : y + cell.shape[0], x + 2 : x + 2 + cell.shape[1]] = cell
        cv2.putText(sheet, f"{label}  [{h}x{w}]", (x + 2, y + CELL_H + 11), cv2.FONT_HERSHEY_SIMPLEX, 0.4, 0, 1)
        cv2.line(sheet, (x, y + CELL_H + LABEL_H - 1), (x + CELL_W, y + CELL_H + LABEL_H - 1), 200)
    return sheet


def benchmark(n: int = 2000, seed: int = 0) -> float:
    renderer, sampler = WordRenderer(seed), TextSampler(seed)
    for _ in range(200):
        make_sample(renderer, sampler)
    start = time.perf_counter()
    for _ in range(n):
        make_sample(renderer, sampler)
    return n / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-o", "--output", default="sheet.png")
    parser.add_argument("-n", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bench", type=int, default=0, help="also time N samples on one core")
    args = parser.parse_args(argv)
    cv2.imwrite(args.output, build_sheet(args.n, args.seed))
    print(f"wrote {args.n} samples to {args.output}")
    if args.bench:
        print(f"{benchmark(args.bench, args.seed):.0f} images/s (one core, incl. sampling and degradation)")
    return ExitCode.OK


if __name__ == "__main__":
    raise SystemExit(main())
