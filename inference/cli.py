"""``notelasso-ocr``: read pages, regions and crops from the command line; benchmark back ends.

The library raises NoteLassoError subclasses; this module is the one place that maps them to
a message on stderr and an exit code (2 input, 3 document, 4 back end unavailable, 5 model
mismatch, 6 remote server). Recognised text goes to stdout only, never to logs.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inference.backends.options import Option, add_arguments, dest
from inference.errors import ExitCode, InputError, NoteLassoError, report_error

if TYPE_CHECKING:
    from inference.backends import BackendConfig
    from inference.recognizer import Recognizer, RegionResult

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".pbm", ".pgm", ".ppm"}

#: The command's own numeric options, bounded like the back ends' (a value outside is exit 2, INPUT).
PAGE_OPTIONS: tuple[Option, ...] = (
    Option("page", int, 1, "1-based page number", "--page", minimum=1, maximum=100_000, metavar="N"),
    Option(
        "dpi", int, 200, "PDF render resolution (page pixels = dpi)", "--dpi", minimum=72, maximum=600, metavar="DPI"
    ),
)
BENCH_OPTIONS: tuple[Option, ...] = (
    Option("repeats", int, 30, "timed runs of each case", "--repeats", minimum=1, maximum=100_000, metavar="N"),
    Option("warmup", int, 3, "untimed runs first", "--warmup", minimum=0, maximum=1_000, metavar="N"),
    Option(
        "batch_seconds",
        float,
        3.0,
        "seconds per batch size for crops/s",
        "--batch-seconds",
        minimum=0.1,
        maximum=3_600.0,
        metavar="SECONDS",
    ),
    Option(
        "seconds",
        float,
        10.0,
        "(triton --load) seconds per user count",
        "--seconds",
        minimum=0.1,
        maximum=3_600.0,
        metavar="SECONDS",
    ),
)
#: Options whose value may start with '-' (a negative coordinate): ``--region -5,10,200,40`` parses.
DASH_VALUE_FLAGS = ("--region", "--polygon")


def _numbers(text: str, what: str) -> list[float]:
    try:
        values = [float(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError as exc:
        raise InputError(f"{what} must be comma-separated numbers, got '{text}'.") from exc
    return values


def parse_region(text: str) -> list[tuple[float, float]]:
    """``x0,y0,x1,y1`` (page pixels, may be negative) -> the rectangle's four corners; raises InputError."""
    v = _numbers(text, "--region")
    if len(v) != 4 or v[2] <= v[0] or v[3] <= v[1]:
        raise InputError("--region needs x0,y0,x1,y1 with x1 > x0 and y1 > y0 (page pixels).")
    x0, y0, x1, y1 = v
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def parse_polygon(text: str) -> list[tuple[float, float]]:
    """``x,y,x,y,...`` (page pixels, at least three points) -> the points; raises InputError."""
    v = _numbers(text, "--polygon")
    if len(v) < 6 or len(v) % 2:
        raise InputError("--polygon needs at least three x,y points (page pixels).")
    return list(zip(v[::2], v[1::2]))


def add_backend_arguments(p: argparse.ArgumentParser) -> None:
    """The back-end flags, generated from the option schema: the choice and common options, then one
    group per back end. Unset flags stay None; :func:`backend_config` fills in the schema's defaults."""
    from inference.backends import COMMON_OPTIONS, PLUGINS, kind_option
    from inference.backends.options import add_arguments

    add_arguments(p.add_argument_group("recognition back end"), (kind_option(), *COMMON_OPTIONS))
    seen = {o.key for o in COMMON_OPTIONS}
    for plugin in PLUGINS.values():
        own = [o for o in plugin.options if o.key not in seen]
        seen.update(o.key for o in own)
        add_arguments(p.add_argument_group(f"{plugin.kind}: {plugin.name}"), own)


def backend_config(args: argparse.Namespace) -> BackendConfig:
    """The back end chosen on the command line and the options given for it (others take defaults)."""
    from inference.backends import BackendConfig, backend_options, get_plugin, kind_option
    from inference.backends.options import given_values

    kind = getattr(args, "backend", None) or kind_option().default
    given = given_values(args, backend_options())
    given.pop("kind", None)
    plugin = get_plugin(kind)
    wanted = {o.key for o in plugin.all_options()}
    ignored = sorted(set(given) - wanted)
    if ignored:
        flags = ", ".join(o.flag or o.key for o in backend_options() if o.key in ignored)
        raise InputError(f"Not options of the {plugin.name} back end (--backend {kind}): {flags}.")
    return BackendConfig(kind, given)


def backend_values(args: argparse.Namespace) -> dict[str, Any]:
    """option key -> value for the chosen back end: what was given, the schema's default otherwise."""
    from inference.backends import get_plugin

    cfg = backend_config(args)
    return get_plugin(cfg.kind).resolve(cfg.options)


def open_recognizer(args: argparse.Namespace) -> Recognizer:
    from inference.backends import get_plugin, open_backend
    from inference.recognizer import Recognizer

    cfg = backend_config(args)
    plugin = get_plugin(cfg.kind)
    values = plugin.resolve(cfg.options)
    backend = open_backend(cfg)
    if backend.is_remote:
        print(f"notelasso-ocr: sending crops to remote server {plugin.remote_host(values)}", file=sys.stderr)
    return Recognizer(backend, batch_size=values["batch_size"])


def result_to_json(result: RegionResult) -> dict[str, Any]:
    return {
        "text": result.text,
        "confidences": [round(c, 4) for c in result.confidences],
        "skew_deg": result.skew_deg,
        "lines": [
            {
                "box": list(line.box),
                "words": [
                    {"text": w.text, "box": list(w.box), "confidences": [round(c, 4) for c in w.confidences]}
                    for w in line.words
                ],
            }
            for line in result.lines
        ],
        "timings_ms": {k: round(v, 2) for k, v in result.timings_ms.items()},
    }


def cmd_page(args: argparse.Namespace) -> int:
    from inference.documents import open_document

    if args.region is not None and args.polygon is not None:
        raise InputError("Give either --region or --polygon, not both.")
    polygon = (
        parse_region(args.region)
        if args.region is not None
        else parse_polygon(args.polygon)
        if args.polygon is not None
        else None
    )
    with open_document(args.file, password=args.password) as doc:
        if not 1 <= args.page <= doc.page_count:
            raise InputError(f"--page {args.page} is out of range: {args.file.name} has {doc.page_count} page(s).")
        page = doc.render(args.page - 1, dpi=args.dpi)
    if polygon is None:
        h, w = page.shape[:2]
        polygon = [(0, 0), (w, 0), (w, h), (0, h)]
    recognizer = open_recognizer(args)
    try:
        result = recognizer.recognize(page, polygon)
    finally:
        recognizer.backend.close()
    if args.json:
        print(json.dumps(result_to_json(result), ensure_ascii=False, indent=2))
    else:
        print(result.text)
    return ExitCode.OK


def cmd_crops(args: argparse.Namespace) -> int:
    from inference.documents import open_document, to_gray

    folder: Path = args.dir
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder.")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise InputError(f"No images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {folder}.")
    recognizer = open_recognizer(args)
    out: dict[str, str] = {}
    failed: list[str] = []
    try:
        for start in range(0, len(files), 256):
            part = files[start : start + 256]
            names, crops = [], []
            for f in part:
                try:
                    with open_document(f) as doc:
                        crops.append(to_gray(doc.render(0)))
                    names.append(f.name)
                except NoteLassoError as exc:
                    failed.append(f.name)
                    print(f"notelasso-ocr: skipped {f.name}: {exc.user_message}", file=sys.stderr)
            if args.layout:
                for name, crop in zip(names, crops):
                    h, w = crop.shape
                    out[name] = recognizer.recognize(crop, [(0, 0), (w, 0), (w, h), (0, h)]).text
            else:
                for name, decoded in zip(names, recognizer.read_crops(crops)):
                    out[name] = decoded.text
    finally:
        recognizer.backend.close()
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        for name, text in out.items():
            print(f"{name}\t{text}")
    return ExitCode.DOCUMENT if failed and not out else ExitCode.OK


def cmd_bench(args: argparse.Namespace) -> int:
    from inference.bench import run_benchmark

    values = backend_values(args)
    if args.load and not {"url", "model_name"} <= set(values):
        raise InputError("--load measures a Triton server: add --backend triton.")
    recognizer = open_recognizer(args)
    try:
        run_benchmark(recognizer, repeats=args.repeats, warmup=args.warmup, batch_seconds=args.batch_seconds, out=print)
    finally:
        recognizer.backend.close()
    if args.load:
        from inference.bench_triton import run_load_benchmark

        run_load_benchmark(
            values["url"],
            values["model_name"],
            users=args.users,
            seconds=args.seconds,
            http_url=args.http_url,
            naive_model_name=args.naive_model_name,
            out=print,
        )
    return ExitCode.OK


def _add_own(parser: argparse.ArgumentParser, options: tuple[Option, ...]) -> None:
    """The command's own options, parsed and bounded by the option schema, with their defaults."""
    add_arguments(parser, options)
    parser.set_defaults(**{dest(o): o.default for o in options})


def _users(text: str) -> tuple[int, ...]:
    """``--users 1,8,40``: concurrent user counts, each 1..1024."""
    try:
        users = tuple(int(u) for u in text.split(","))
    except ValueError:
        users = ()
    if not users or not all(1 <= u <= 1024 for u in users):
        raise argparse.ArgumentTypeError(f"--users needs whole numbers from 1 to 1024, comma-separated; got '{text}'.")
    return users


def attach_dash_values(argv: list[str]) -> list[str]:
    """``--region -5,10,200,40`` -> ``--region=-5,10,200,40``: argparse would take a value starting
    with '-' for an option, so a negative coordinate is joined to its flag before parsing."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg, value = argv[i], argv[i + 1] if i + 1 < len(argv) else ""
        if arg in DASH_VALUE_FLAGS and value[:1] == "-" and value[1:2].isdigit():
            out.append(f"{arg}={value}")
            i += 2
        else:
            out.append(arg)
            i += 1
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="notelasso-ocr", description="Read scanned notes with PARSeq.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("page", help="read a page (or a region of it) of a PDF or image")
    p.add_argument("file", type=Path)
    _add_own(p, PAGE_OPTIONS)
    p.add_argument("--password", default=None, help="password of an encrypted PDF")
    p.add_argument("--region", default=None, help="x0,y0,x1,y1 in page pixels")
    p.add_argument("--polygon", default=None, help="x,y,x,y,... in page pixels (a lasso)")
    p.add_argument("--json", action="store_true", help="text, confidences, boxes and timings as JSON")
    add_backend_arguments(p)
    p.set_defaults(func=cmd_page)

    p = sub.add_parser("crops", help="read every image in DIR as one region; one JSON object out")
    p.add_argument("dir", type=Path)
    p.add_argument("--json", action="store_true", help='print {"file name": "text", ...}')
    p.add_argument(
        "--layout",
        action="store_true",
        help="split each image into lines/words first (default: each image is one word)",
    )
    add_backend_arguments(p)
    p.set_defaults(func=cmd_crops)

    p = sub.add_parser("bench", help="latency p50/p95 for a word, a line, a 50-word paragraph; crops/s")
    _add_own(p, BENCH_OPTIONS)
    p.add_argument("--load", action="store_true", help="(triton) also run the concurrent-users load test")
    p.add_argument("--users", default="1,8,40,64", type=_users, help="(triton --load) concurrent users")
    p.add_argument("--http-url", default=None, help="(triton --load) HTTP address for the naive client")
    p.add_argument(
        "--naive-model-name",
        default=None,
        help="(triton --load) model the naive client calls, e.g. one served without dynamic batching",
    )
    add_backend_arguments(p)
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(attach_dash_values(sys.argv[1:] if argv is None else list(argv)))
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return int(args.func(args))
    except NoteLassoError as exc:
        if args.debug:
            raise
        return report_error("notelasso-ocr", exc)
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        return ExitCode.OK
    except Exception as exc:  # last resort: a short message, never a traceback for staff
        if args.debug:
            raise
        print(
            f"notelasso-ocr: internal error ({type(exc).__name__}); run again with --debug for details.",
            file=sys.stderr,
        )
        return ExitCode.INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
