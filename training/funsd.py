"""FUNSD word crops for VALIDATION only (never training): see ../shared/data/funsd-train/README.md."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "funsd-train"
PAD = 2


def iter_word_crops(root: Path, *, charset: str | None = None) -> Iterator[tuple[str, np.ndarray, str]]:
    """(form id, gray crop padded by 2 px, text) for every word with a non-empty label."""
    for ann_path in sorted((root / "annotations").glob("*.json")):
        image_path = root / "images" / (ann_path.stem + ".png")
        if not image_path.is_file():
            continue
        page = np.asarray(Image.open(image_path).convert("L"))
        h, w = page.shape
        for entity in json.loads(ann_path.read_text())["form"]:
            for word in entity.get("words", []):
                text = word.get("text", "").strip()
                if not text or " " in text or (charset is not None and any(c not in charset for c in text)):
                    continue
                x0, y0, x1, y1 = word["box"]
                x0, y0 = max(0, x0 - PAD), max(0, y0 - PAD)
                x1, y1 = min(w, x1 + PAD), min(h, y1 + PAD)
                if x1 - x0 < 2 or y1 - y0 < 2:
                    continue
                yield ann_path.stem, page[y0:y1, x0:x1], text


def sample_word_crops(root: Path, n: int | None, seed: int = 0, charset: str | None = None
                      ) -> list[tuple[np.ndarray, str]]:
    crops = [(c, t) for _, c, t in iter_word_crops(root, charset=charset)]
    if n is not None and n < len(crops):
        crops = random.Random(seed).sample(crops, n)
    return crops
