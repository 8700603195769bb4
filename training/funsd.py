"""FUNSD word crops for VALIDATION only (never training): see ../shared/data/funsd-train/README.md."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "funsd-train"
PAD = 2


@dataclass(frozen=True, slots=True)
class FunsdWord:
    form: str
    page: np.ndarray  # the whole gray page
    box: tuple[int, int, int, int]  # x0, y0, x1, y1: the word box padded by PAD, clipped
    text: str

    @property
    def crop(self) -> np.ndarray:
        x0, y0, x1, y1 = self.box
        return self.page[y0:y1, x0:x1]


def iter_forms(root: Path) -> Iterator[tuple[str, np.ndarray, list[dict]]]:
    """(form id, gray page, its annotated entities) for every form that has its image."""
    for ann_path in sorted((root / "annotations").glob("*.json")):
        image_path = root / "images" / (ann_path.stem + ".png")
        if not image_path.is_file():
            continue
        page = np.asarray(Image.open(image_path).convert("L"))
        yield ann_path.stem, page, json.loads(ann_path.read_text())["form"]


def iter_words(root: Path, *, charset: str | None = None) -> Iterator[FunsdWord]:
    """Every word with a non-empty, single-token label (within ``charset`` when given)."""
    for form, page, entities in iter_forms(root):
        h, w = page.shape
        for entity in entities:
            for word in entity.get("words", []):
                text = word.get("text", "").strip()
                if not text or " " in text or (charset is not None and any(c not in charset for c in text)):
                    continue
                x0, y0, x1, y1 = word["box"]
                x0, y0 = max(0, x0 - PAD), max(0, y0 - PAD)
                x1, y1 = min(w, x1 + PAD), min(h, y1 + PAD)
                if x1 - x0 < 2 or y1 - y0 < 2:
                    continue
                yield FunsdWord(form, page, (x0, y0, x1, y1), text)


def iter_word_crops(root: Path, *, charset: str | None = None) -> Iterator[tuple[str, np.ndarray, str]]:
    """(form id, gray crop padded by 2 px, text) for every word with a non-empty label."""
    for word in iter_words(root, charset=charset):
        yield word.form, word.crop, word.text


def sample_words(root: Path, n: int | None, seed: int = 0, charset: str | None = None) -> list[FunsdWord]:
    words = list(iter_words(root, charset=charset))
    if n is not None and n < len(words):
        words = random.Random(seed).sample(words, n)
    return words


def sample_word_crops(
    root: Path, n: int | None, seed: int = 0, charset: str | None = None
) -> list[tuple[np.ndarray, str]]:
    """The same words as :func:`sample_words` with the same arguments, as (crop, text)."""
    return [(w.crop, w.text) for w in sample_words(root, n, seed, charset)]
