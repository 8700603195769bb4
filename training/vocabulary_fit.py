"""Pick the vocabulary decoder's MIN_RATIO on generated words (inference/vocabulary.py, decision 024).

Words rendered as the training data is (never FUNSD) are read once; each candidate ratio is then
applied to the same readings, and for each the share of words read exactly, the words changed,
fixed (wrong -> right) and broken (right -> wrong) are printed::

    python -m training.vocabulary_fit --words 3000 --seed 99
"""

from __future__ import annotations

import argparse
from pathlib import Path

import inference.vocabulary as vocabulary
from desktop.core.lexicon import load_lexicon
from inference.backends import BackendConfig, open_backend
from inference.recognizer import Recognizer
from training.triage_eval import generated_words

RATIOS = (0.03, 0.05, 0.1, 0.2, 0.3, 0.5)
MODEL = Path(__file__).resolve().parents[1] / "resources" / "models" / "notelasso-parseq.onnx"


def sweep(model: Path, n: int, seed: int, ratios: tuple[float, ...] = RATIOS) -> list[str]:
    words = load_lexicon(own_words=False)
    crops, truths = generated_words(n, seed)
    backend = open_backend(BackendConfig("cpu", {"model_path": model}))
    try:
        read = Recognizer(backend, batch_size=64).read_crops(crops)
    finally:
        backend.close()
    right = [d.text == t for d, t in zip(read, truths)]
    lines = [f"generated words: {n} (seed {seed}); read exactly without word lists {sum(right) / n:.4f}"]
    saved = vocabulary.MIN_RATIO
    try:
        for ratio in ratios:
            vocabulary.MIN_RATIO = ratio
            out = [vocabulary.correct(d, words) for d in read]
            changed = [o.text != d.text for o, d in zip(out, read)]
            exact = [o.text == t for o, t in zip(out, truths)]
            fixed = sum(c and e for c, e in zip(changed, exact))
            broke = sum(c and r for c, r in zip(changed, right))
            lines.append(
                f"MIN_RATIO {ratio:<5} exact {sum(exact) / n:.4f}  changed {sum(changed):4d}  "
                f"fixed {fixed:4d}  broke {broke:3d}"
            )
    finally:
        vocabulary.MIN_RATIO = saved
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=MODEL)
    p.add_argument("--words", type=int, default=3000)
    p.add_argument("--seed", type=int, default=99)
    args = p.parse_args(argv)
    print("\n".join(sweep(args.model, args.words, args.seed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
