"""``notelasso-train``: train PARSeq on synthetic words, and evaluate a model on FUNSD crops."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from inference.errors import ExitCode, InputError, NoteLassoError, report_error


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train on generated scan-like words (resumes from OUT/last.pt)")
    p.add_argument(
        "--preset", default="parseq-mini", help="model size (parseq, parseq-tiny, parseq-mini, parseq-micro)"
    )
    p.add_argument("--out", type=Path, default=Path("runs/default"), help="run folder for checkpoints and logs")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=7e-4)
    p.add_argument("--steps", type=int, default=0, help="optimizer steps (0: bounded by --minutes alone)")
    p.add_argument("--minutes", type=float, default=60.0, help="wall-clock budget; the LR schedule follows it")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--workers", type=int, default=1, help="data-generation processes")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    p.add_argument("--perm-num", type=int, default=6, help="permutations per batch (PLM)")
    p.add_argument(
        "--ctc-weight",
        type=float,
        default=0.0,
        help="weight of an auxiliary CTC loss on the encoder columns (training only; 0: off)",
    )
    p.add_argument("--plain", type=float, default=0.0, help="share of clean-print samples, 0-1")
    p.add_argument(
        "--phrases",
        type=float,
        default=0.0,
        help="share of multi-word samples, 0-1; above 0 the charset gains the space",
    )
    p.add_argument(
        "--device-degrade",
        action="store_true",
        help="degrade the rendered words on the training device (the GPU) instead of in the data workers",
    )
    p.add_argument("--warmup", type=float, default=0.05, help="share of the budget spent warming the LR up")
    p.add_argument("--val-every", type=float, default=10.0, help="minutes between validations")
    p.add_argument("--funsd", type=Path, default=None, help="FUNSD folder for periodic validation (never trained on)")
    p.add_argument("--val-size", type=int, default=1000, help="fixed synthetic validation words")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a model-config field of the preset, e.g. enc_depth=6 (repeatable)",
    )
    p.add_argument("--init", type=Path, default=None, help="start from this checkpoint's weights")
    p.add_argument("--no-resume", action="store_true")


def _add_eval(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="accuracy on FUNSD word crops or lassoed regions, beside Tesseract")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--funsd", type=Path, help="word crops of this FUNSD folder (annotations/, images/)")
    where.add_argument(
        "--regions",
        type=Path,
        metavar="FUNSD",
        help="whole entities of this FUNSD folder read as lassoed regions (the release figure)",
    )
    where.add_argument(
        "--triage",
        type=Path,
        metavar="FUNSD",
        help="triage: wrong words flagged against words flagged, per signal and combined, on generated "
        "clinical notes and this FUNSD folder's word crops and regions (-n: regions, default 300)",
    )
    p.add_argument(
        "--model",
        type=Path,
        action="append",
        default=None,
        help="ONNX model (default: the bundled one); with --regions, repeat it to compare models",
    )
    p.add_argument(
        "-n",
        "--limit",
        type=int,
        default=None,
        help="a random sample of N words or regions (0: all; default all words, 1000 regions)",
    )
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--no-tesseract", action="store_true")
    p.add_argument(
        "--no-others",
        action="store_true",
        help="--regions: leave out the other installed engines (PP-OCR reads about 4 s a region on 2 cores)",
    )
    p.add_argument(
        "--vocabulary",
        choices=("on", "off", "both"),
        default="on",
        help="--regions: read with the system's word lists as the app does (on), without (off), or both rows",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    t = p.add_argument_group("--triage")
    t.add_argument("--words", type=int, default=1500, help="FUNSD word crops (0: skip)")
    t.add_argument("--notes", type=int, default=300, help="generated clinical note lines (0: skip)")
    t.add_argument("--calibration-words", type=int, default=1500, help="generated words the temperature is fitted on")
    t.add_argument(
        "--second-reader",
        choices=("rapidocr",),
        default=None,
        help="measure with the app's second reader (PP-OCR through rapidocr) too: notes and regions",
    )
    t.add_argument(
        "--fit",
        action="store_true",
        help="fit the triage score's weights on generated words and notes (never FUNSD), measure with "
        "them and print the constants for desktop/core/triage.py",
    )
    t.add_argument("--fit-words", type=int, default=1500, help="--fit: generated words")
    t.add_argument("--fit-notes", type=int, default=600, help="--fit: generated note lines")


def _add_recover(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("recover", help="rebuild a training checkpoint from a released fp32 ONNX model")
    p.add_argument("onnx", type=Path, help="ONNX exported by notelasso-engine (e.g. the bundled model)")
    p.add_argument("-o", "--out", type=Path, required=True, help="checkpoint to write (use with train --init)")


def _overrides(items: list[str]) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--set needs KEY=VALUE, got '{item}'.")
        out[key.strip()] = json.loads(value) if value.strip()[:1] in "0123456789-[{tf" else value
    return out


def _run_train(args: argparse.Namespace) -> int:
    from training.train import TrainConfig, train

    tcfg = TrainConfig(
        preset=args.preset,
        out_dir=args.out,
        batch_size=args.batch_size,
        lr=args.lr,
        steps=args.steps,
        minutes=args.minutes,
        seed=args.seed,
        workers=args.workers,
        threads=args.threads,
        perm_num=args.perm_num,
        ctc_weight=args.ctc_weight,
        plain=args.plain,
        phrases=args.phrases,
        device_degrade=args.device_degrade,
        warmup=args.warmup,
        val_every_min=args.val_every,
        val_size=args.val_size,
        funsd_dir=args.funsd,
        resume=not args.no_resume,
        overrides=_overrides(args.overrides),
        init_from=args.init,
    )
    row = train(tcfg)
    print(json.dumps(row))
    return ExitCode.OK


def _run_eval(args: argparse.Namespace) -> int:
    from training.evaluate import evaluate_funsd, evaluate_regions

    for name in ("words", "notes", "calibration_words"):
        if not 0 <= getattr(args, name) <= 100_000:
            raise InputError(f"--{name.replace('_', '-')} must be 0-100000.")
    if args.triage is not None:
        from training.triage_eval import evaluate_triage

        report = evaluate_triage(
            args.triage,
            model=args.model[0] if args.model else None,
            word_limit=args.words,
            region_limit=300 if args.limit is None else args.limit,
            note_lines=args.notes,
            calibration_words=max(1, args.calibration_words),
            seed=args.seed,
            threads=args.threads,
            second_reader=args.second_reader is not None,
            fit=args.fit,
            fit_words=args.fit_words,
            fit_notes=args.fit_notes,
        )
    elif args.regions is not None:
        report = evaluate_regions(
            args.regions,
            model=args.model or [None],
            seed=args.seed,
            threads=args.threads,
            limit=1000 if args.limit is None else args.limit,
            tesseract=not args.no_tesseract,
            others=not args.no_others,
            vocabulary=args.vocabulary,
        )
    else:
        if args.model and len(args.model) > 1:
            raise InputError("eval --funsd takes one --model.")
        report = evaluate_funsd(
            args.funsd,
            model=args.model[0] if args.model else None,
            limit=args.limit or 0,
            seed=args.seed,
            threads=args.threads,
            tesseract=not args.no_tesseract,
        )
    print(json.dumps(report, indent=2) if args.json else report["table"])
    return ExitCode.OK


def _run_recover(args: argparse.Namespace) -> int:
    from training.onnx_weights import recover_checkpoint

    out = recover_checkpoint(args.onnx, args.out)
    print(f"wrote {out}; its logits match {args.onnx}")
    return ExitCode.OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="notelasso-train", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub)
    _add_eval(sub)
    _add_recover(sub)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        run = {"train": _run_train, "eval": _run_eval, "recover": _run_recover}[args.command]
        return run(args)
    except NoteLassoError as exc:
        return report_error("notelasso-train", exc)
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
