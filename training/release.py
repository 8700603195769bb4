"""Turn a training checkpoint into the released model, measuring each candidate on the way.

``python -m training.release runs/x/best.pt --version 2026.11.25 [--funsd DIR]`` exports the
checkpoint (static Squeeze, spec metadata and sidecar), makes fp16 and int8 variants, and
measures each on the fixed synthetic validation words, on held-out words in the held-out font
(lassoed and read as the app reads a region; and each word's whole text canvas as one crop), and
on FUNSD word crops when given (validation only). Prints one JSON report; with ``--ship
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
from inference.errors import ExitCode
from inference.models import DEFAULT_MODEL_NAME, MODELS_DIR
from inference.recognizer import Recognizer
from inference.spec import sidecar_path
from training.heldout import HeldoutLasso, heldout_canvas_crops, heldout_lassos
from training.metrics import score_words


def synthetic_words(n: int, seed: int) -> tuple[list[np.ndarray], list[str]]:
    from training.corpus import TextSampler
    from training.render import WordRenderer
    from training.synth import make_sample

    sampler, renderer = TextSampler(seed), WordRenderer(seed)
    pairs = [make_sample(renderer, sampler) for _ in range(n)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _row(preds: list[str], truths: list[str], seconds: float) -> dict:
    s = score_words(preds, truths)
    return {
        "exact": round(s.exact, 4),
        "alnum_ci": round(s.alnum_ci, 4),
        "cer": round(s.cer, 4),
        "n": s.count,
        "ms_per_word": round(seconds * 1e3 / max(1, len(truths)), 1),
    }


def measure(model: Path, sets: dict[str, tuple[list, list[str]]], lassos: list[HeldoutLasso] | None = None) -> dict:
    """Word-crop sets read as crops; ``lassos`` (held-out words) read as the app reads a region."""
    backend = open_backend(BackendConfig("cpu", {"model_path": model, "threads": 2}))
    try:
        reader = Recognizer(backend, batch_size=32)
        out: dict = {"size_mb": round(model.stat().st_size / 1e6, 2)}
        if lassos:
            t0 = time.perf_counter()
            preds = [reader.recognize(item.page, item.lasso).text for item in lassos]
            out["heldout"] = _row(preds, [item.truth for item in lassos], time.perf_counter() - t0)
        for name, (crops, truths) in sets.items():
            if not crops:
                continue
            t0 = time.perf_counter()
            preds = [d.text for d in reader.read_crops(crops)]
            out[name] = _row(preds, truths, time.perf_counter() - t0)
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

    sets = {"synthetic": synthetic_words(args.synthetic_n, seed=2024), "heldout_canvas": heldout_canvas_crops()}
    if args.funsd:
        from inference.spec import PARSEQ_CHARSET
        from training.funsd import sample_word_crops

        pairs = sample_word_crops(args.funsd, args.funsd_n, seed=7, charset=PARSEQ_CHARSET)
        sets["funsd"] = ([c for c, _ in pairs], [t for _, t in pairs])
    lassos = heldout_lassos()
    report = {name: measure(path, sets, lassos) for name, path in variants.items()}
    print(json.dumps(report, indent=2))
    (args.out / "release_report.json").write_text(json.dumps(report, indent=2))
    if args.ship:
        MODELS_DIR.mkdir(parents=True, exist_ok=True)
        target = MODELS_DIR / DEFAULT_MODEL_NAME
        shutil.copyfile(variants[args.ship], target)
        shutil.copyfile(sidecar_path(variants[args.ship]), sidecar_path(target))
        print(f"shipped {args.ship} as {target}")
    return ExitCode.OK


if __name__ == "__main__":
    raise SystemExit(main())
