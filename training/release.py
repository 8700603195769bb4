"""Turn a training checkpoint into the released model, measuring each candidate on the way.

``python -m training.release runs/x/best.pt --version 2026.11.25 [--funsd DIR]`` exports the
checkpoint (static Squeeze, spec metadata and sidecar), makes fp16 and int8 variants, and
measures each on the fixed synthetic validation words, on held-out words in the held-out font,
and on FUNSD word crops when given (validation only). Prints one JSON report; with ``--ship
VARIANT`` copies that variant to resources/models/notelasso-parseq.onnx (+ spec).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np

from inference.backends import BackendConfig, open_backend
from inference.models import DEFAULT_MODEL_NAME, MODELS_DIR
from inference.recognizer import Recognizer
from inference.spec import sidecar_path
from training.metrics import score_words


def synthetic_words(n: int, seed: int) -> tuple[list[np.ndarray], list[str]]:
    from training.corpus import TextSampler
    from training.render import WordRenderer
    from training.synth import make_sample

    sampler, renderer = TextSampler(seed), WordRenderer(seed)
    pairs = [make_sample(renderer, sampler) for _ in range(n)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def heldout_words(n: int = 80) -> tuple[list[np.ndarray], list[str]]:
    """Held-out words (``HELDOUT_WORDS``), every third capitalised, each rendered alone in the
    held-out P052 Roman/Bold fonts as a clean 200-dpi print. Empty when those fonts are missing."""
    from inference.textimage import render_lines
    from training.corpus import HELDOUT_WORDS
    from training.render import FONT_ROOT, HELDOUT_FONT

    fonts = sorted(p for p in FONT_ROOT.rglob(f"{HELDOUT_FONT}-*")
                   if p.suffix.lower() in (".otf", ".ttf") and p.stem in (f"{HELDOUT_FONT}-Roman", f"{HELDOUT_FONT}-Bold"))
    crops, truths = [], []
    if not fonts:
        return crops, truths
    for i, word in enumerate(sorted(HELDOUT_WORDS)[:n]):
        text = word.capitalize() if i % 3 == 0 else word
        crops.append(render_lines([text], font_size=34, margin=6, font_path=str(fonts[i % len(fonts)])).image)
        truths.append(text)
    return crops, truths


def measure(model: Path, sets: dict[str, tuple[list, list[str]]]) -> dict:
    backend = open_backend(BackendConfig(kind="cpu", model_path=model, threads=2))
    try:
        reader = Recognizer(backend, batch_size=32)
        out: dict = {"size_mb": round(model.stat().st_size / 1e6, 2)}
        for name, (crops, truths) in sets.items():
            t0 = time.perf_counter()
            preds = [d.text for d in reader.read_crops(crops)]
            ms = (time.perf_counter() - t0) * 1e3 / len(crops)
            s = score_words(preds, truths)
            out[name] = {"exact": round(s.exact, 4), "alnum_ci": round(s.alnum_ci, 4), "cer": round(s.cer, 4),
                         "n": s.count, "ms_per_word": round(ms, 1)}
        return out
    finally:
        backend.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("checkpoint", type=Path)
    p.add_argument("--version", required=True)
    p.add_argument("--name", default="notelasso-parseq")
    p.add_argument("--out", type=Path, default=Path("runs/release"))
    p.add_argument("--funsd", type=Path, default=None)
    p.add_argument("--funsd-n", type=int, default=1000)
    p.add_argument("--synthetic-n", type=int, default=1000)
    p.add_argument("--ship", choices=("fp32", "fp16", "int8"), default=None)
    args = p.parse_args(argv)

    from build_engine.export import export_fp16, export_onnx, quantize_int8
    from build_engine.parseq import load_checkpoint

    args.out.mkdir(parents=True, exist_ok=True)
    model, _cfg, _meta = load_checkpoint(str(args.checkpoint))
    variants = {"fp32": args.out / f"{args.name}.onnx"}
    export_onnx(model, variants["fp32"], name=args.name, version=args.version)
    variants["fp16"] = args.out / f"{args.name}-fp16.onnx"
    export_fp16(variants["fp32"], variants["fp16"])
    variants["int8"] = args.out / f"{args.name}-int8.onnx"
    quantize_int8(variants["fp32"], variants["int8"])

    sets = {"synthetic": synthetic_words(args.synthetic_n, seed=2024), "heldout": heldout_words()}
    if args.funsd:
        from inference.spec import PARSEQ_CHARSET
        from training.funsd import sample_word_crops

        pairs = sample_word_crops(args.funsd, args.funsd_n, seed=7, charset=PARSEQ_CHARSET)
        sets["funsd"] = ([c for c, _ in pairs], [t for _, t in pairs])
    report = {name: measure(path, sets) for name, path in variants.items()}
    print(json.dumps(report, indent=2))
    (args.out / "release_report.json").write_text(json.dumps(report, indent=2))
    if args.ship:
        MODELS_DIR.mkdir(parents=True, exist_ok=True)
        target = MODELS_DIR / DEFAULT_MODEL_NAME
        shutil.copyfile(variants[args.ship], target)
        shutil.copyfile(sidecar_path(variants[args.ship]), sidecar_path(target))
        print(f"shipped {args.ship} as {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
