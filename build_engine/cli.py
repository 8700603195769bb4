"""``notelasso-engine``: export PARSeq to ONNX, check it, build TensorRT plans and Triton repositories."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from inference.errors import DocumentError, ExitCode, InputError, ModelMismatchError, NoteLassoError, report_error
from inference.spec import METADATA_KEY, ModelSpec


def _cmd_random(args: argparse.Namespace) -> int:
    import torch

    from build_engine.parseq import PRESETS, PARSeq

    torch.manual_seed(args.seed)
    cfg = PRESETS[args.preset]
    model = PARSeq(cfg)
    torch.save(
        {"config": cfg.to_dict(), "model": model.state_dict(), "name": args.preset, "version": "random"}, args.output
    )
    print(f"wrote randomly initialised {args.preset} to {args.output}")
    return ExitCode.OK


def _cmd_export(args: argparse.Namespace) -> int:
    from build_engine.export import export_onnx
    from build_engine.parseq import load_checkpoint

    try:
        model, _cfg, meta = load_checkpoint(str(args.checkpoint), refine_iters=args.refine_iters)
    except (OSError, RuntimeError, KeyError, ValueError) as exc:
        raise NoteLassoError(f"Cannot load checkpoint {args.checkpoint}: {exc}") from exc
    name = args.name or str(meta.get("name", "parseq"))
    version = args.version or str(meta.get("version", "0"))
    spec = export_onnx(model, args.output, name=name, version=version, opset=args.opset)
    print(
        f"exported {spec.name} {spec.version} to {args.output} (+ {Path(args.output).with_suffix('.spec.json').name})"
    )
    return _cmd_check(argparse.Namespace(model=args.output))


def _cmd_check(args: argparse.Namespace) -> int:
    """Check an ONNX model for TensorRT blockers and its NoteLasso spec against its graph.

    Exit codes: 0 ok; 1 the check found TensorRT blockers; 2 the path is a folder (INPUT); 3 no such
    file, or it cannot be read (DOCUMENT); 5 not an ONNX model, or its spec is malformed or
    disagrees with the graph's input (MODEL_MISMATCH)."""
    from build_engine.onnx_check import check_onnx

    path = Path(args.model)
    if path.is_dir():
        raise InputError(f"{path.name} is a folder; give the ONNX model file.")
    if not path.is_file():
        raise DocumentError(f"{path.name} was not found.")
    try:
        report = check_onnx(path)
    except OSError as exc:
        raise DocumentError(f"{path.name} cannot be read.") from exc
    except Exception as exc:  # onnx raises DecodeError and friends
        raise ModelMismatchError(f"{path.name} is not a readable ONNX model.") from exc
    _check_spec(report.metadata.get(METADATA_KEY), report.inputs, path.name)
    print(report.summary())
    return ExitCode.OK if report.ok else ExitCode.ERROR


def _check_spec(text: str | None, inputs: list[tuple[str, list[int | str], str]], name: str) -> None:
    """Raise ModelMismatchError when the model's NoteLasso spec (if any) is malformed or its input
    shape (channels, height, width) is not the graph's."""
    if text is None:
        return
    spec = ModelSpec.from_json(text)  # raises ModelMismatchError when malformed
    dims = tuple(inputs[0][1][1:]) if inputs else ()
    if all(isinstance(d, int) for d in dims) and dims and dims != tuple(spec.input_shape):
        raise ModelMismatchError(f"{name}: the graph's input is {dims}, but its spec says {tuple(spec.input_shape)}.")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="notelasso-engine", description=__doc__)
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("random", help="write a randomly initialised checkpoint (tests, benchmarks)")
    r.add_argument("--preset", default="parseq-micro")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("-o", "--output", type=Path, required=True)
    r.set_defaults(func=_cmd_random)

    e = sub.add_parser("export", help="PyTorch checkpoint -> ONNX (static Squeeze, spec metadata)")
    e.add_argument("checkpoint", type=Path)
    e.add_argument("-o", "--output", type=Path, required=True)
    e.add_argument("--opset", type=int, default=17)
    e.add_argument("--refine-iters", type=int, default=None)
    e.add_argument("--name")
    e.add_argument("--version")
    e.set_defaults(func=_cmd_export)

    c = sub.add_parser("check", help="fail on dynamic Squeeze and other TensorRT blockers; print a summary")
    c.add_argument("model", type=Path)
    c.set_defaults(func=_cmd_check)

    # Both modules import TensorRT / tritonclient lazily, inside the commands.
    from build_engine import tensorrt_build, triton_repo

    t = sub.add_parser("trt", help="build a TensorRT plan (dynamic batch) from a checked ONNX model")
    tensorrt_build.add_trt_arguments(t)
    t.set_defaults(func=tensorrt_build.run_trt)

    tr = sub.add_parser("triton-repo", help="write a Triton model repository for a model")
    triton_repo.add_arguments(tr)
    tr.set_defaults(func=triton_repo.run)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return int(args.func(args))
    except NoteLassoError as exc:
        return report_error("notelasso-engine", exc)
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
