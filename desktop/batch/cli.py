"""``notelasso batch IN... --out DIR``: read a backlog of documents before anyone opens them.

Thin: parses the flags (the back-end flags and the review settings come from the one option
schema, decision 010), opens the back end, runs :class:`desktop.batch.engine.BatchRun` with a
progress line on stderr, prints the summary table on stdout, writes ``batch-summary.json`` in
DIR and exits with a code from the README's table. Never prints recognised text.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from desktop.core import settings as table
from inference.backends.options import Option, add_arguments, given_values
from inference.errors import ExitCode, InputError, NoteLassoError, report_error

if TYPE_CHECKING:
    from desktop.batch.engine import BatchRun, Summary

__all__ = ["Progress", "build_parser", "format_summary", "main"]

PROG = "notelasso batch"
BATCH_OPTIONS: tuple[Option, ...] = (
    Option(
        "concurrency",
        int,
        0,
        "documents read at once (0: automatic: 8 on a remote server, 2 on this machine's CPU)",
        "--concurrency",
        minimum=0,
        maximum=256,
        metavar="N",
    ),
    Option(
        "retry_s",
        float,
        30.0,
        "seconds to keep retrying a server that is unavailable before stopping the run",
        "--retry-seconds",
        minimum=0.0,
        maximum=3600.0,
        metavar="SECONDS",
    ),
)
APP_KEYS = (
    "review/reviewer",
    "review/triage_threshold",
    "review/unreadable_below",
    "document/dpi",
)


def build_parser() -> argparse.ArgumentParser:
    from desktop.core.export import FORMATS
    from inference.cli import add_backend_arguments

    p = argparse.ArgumentParser(
        prog=PROG,
        description="Read every page of many documents as line regions, so reviewers open them already read. "
        "Run it again after a stop: it goes on where it stopped and never reads a page twice.",
    )
    p.add_argument("inputs", nargs="+", metavar="IN", help="PDF, TIFF, PNG or JPEG files, or folders of them")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for the summary and the exports")
    p.add_argument(
        "--export",
        default="",
        metavar="FMT,...",
        help=f"also write each document as these formats in DIR ({', '.join(FORMATS)})",
    )
    p.add_argument("--store-dir", type=Path, help="keep reviews in this folder (default: where the app keeps them)")
    add_arguments(p.add_argument_group("batch"), BATCH_OPTIONS)
    add_arguments(p.add_argument_group("review"), [table.setting(k) for k in APP_KEYS])
    add_backend_arguments(p)
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    return p


class Progress:
    """A progress line on ``stream``: pages done of known, pages/s, ETA. Redrawn in place on a
    terminal, else one line every ``every_s`` seconds (logs, pipes). Thread-safe."""

    def __init__(self, stream: TextIO, documents: int, *, every_s: float = 2.0) -> None:
        self.stream, self.every_s, self.documents = stream, every_s, documents
        self.is_tty = stream.isatty()
        self.done = self.total = self.read = self.opened = self.finished = 0
        self._t0 = time.perf_counter()
        self._last = 0.0
        self._lock = threading.Lock()

    def __call__(self, event: str, pages: int) -> None:
        with self._lock:
            if event == "document":
                self.finished += pages
            elif event == "found":
                self.total += pages
                self.opened += 1
            else:
                self.done += pages
                self.read += pages if event == "read" else 0
            now = time.perf_counter()
            if self.is_tty or now - self._last >= self.every_s:
                self._last = now
                self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = max(1e-6, now - self._t0)
        rate = self.read / elapsed
        # pages of documents not opened yet: estimated from those opened so far
        expected = self.total if self.opened >= self.documents else self.total / max(1, self.opened) * self.documents
        left = max(0.0, expected - self.done)
        eta = f"{int(left / rate) // 60}:{int(left / rate) % 60:02d}" if rate > 0 else "--:--"
        share = min(1.0, self.done / expected) if expected else 0.0
        bar = "#" * int(share * 24) + "." * (24 - int(share * 24))
        text = (
            f"[{bar}] {self.finished}/{self.documents} documents, {self.done}/{self.total} pages  "
            f"{rate:.2f} pages/s  ETA {eta}"
        )
        self.stream.write(f"\r{text}" if self.is_tty else f"{text}\n")
        self.stream.flush()

    def finish(self) -> None:
        with self._lock:
            self._draw(time.perf_counter())
            if self.is_tty:
                self.stream.write("\n")


def format_summary(summary: Summary) -> str:
    """The table printed at the end: one row per input, then the totals and why the run stopped."""
    rows: list[tuple[str, ...]] = [
        ("document", "pages", "read now", "regions", "doubtful regions", "doubtful words", "result")
    ]
    for d in summary.documents:
        counts = (d.pages, d.pages_read, d.regions, d.doubtful, d.doubtful_words)
        nums = tuple(str(n) for n in counts) if d.pages else ("-",) * 5
        rows.append((d.path.name, *nums, f"{d.outcome}: {d.reason}" if d.reason else d.outcome))
    widths = [min(40, max(len(r[i]) for r in rows)) for i in range(6)]
    lines = [
        "  ".join([r[0][: widths[0]].ljust(widths[0]), *(r[i].rjust(widths[i]) for i in range(1, 6)), r[6]])
        for r in rows
    ]
    docs = summary.documents
    failed = [d for d in docs if d.outcome == "failed"]
    edited = [d for d in docs if d.outcome == "left as edited"]
    rate = summary.pages_read / summary.seconds * 60 if summary.seconds else 0.0
    lines.append(
        f"{len(docs)} documents, {sum(d.pages for d in docs)} pages ({summary.pages_read} read now, "
        f"{rate:.1f} pages/min), {sum(d.regions for d in docs)} regions, {sum(d.doubtful for d in docs)} doubtful "
        f"({sum(d.doubtful_words for d in docs)} words); "
        f"{len(failed)} failed"
    )
    if edited:
        lines.append(
            f"{len(edited)} review(s) a person has edited were left as they are: "
            + ", ".join(d.path.name for d in edited)
        )
    if summary.stopped:
        lines.append(f"STOPPED: {summary.stopped} Run the same command again to continue.")
    return "\n".join(lines)


def _summary_json(summary: Summary) -> dict[str, Any]:
    return {
        "exit_code": summary.exit_code,
        "stopped": summary.stopped,
        "seconds": round(summary.seconds, 3),
        "documents": [
            {
                "path": str(d.path),
                "outcome": d.outcome,
                "reason": d.reason,
                "pages": d.pages,
                "pages_read": d.pages_read,
                "regions": d.regions,
                "doubtful": d.doubtful,
                "doubtful_words": d.doubtful_words,
                "exports": [str(p) for p in d.exports],
            }
            for d in summary.documents
        ],
    }


def _exports(text: str) -> tuple[str, ...]:
    from desktop.core.export import FORMATS

    wanted = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise InputError(f"Unknown export format(s): {', '.join(unknown)}. Choose from: {', '.join(FORMATS)}.")
    return wanted


def run(args: argparse.Namespace) -> int:
    from desktop.batch.engine import BatchOptions, BatchRun, find_inputs
    from desktop.core.lexicon import load_lexicon
    from desktop.core.region_triage import use_words
    from inference.backends import BackendConfig, get_plugin, open_backend
    from inference.cli import backend_config
    from inference.recognizer import Recognizer

    own = given_values(args, BATCH_OPTIONS)
    values = {**table.defaults(), **given_values(args, [table.setting(k) for k in APP_KEYS])}
    exports = _exports(args.export)
    documents, refused = find_inputs(args.inputs)
    cfg = backend_config(args)
    plugin = get_plugin(cfg.kind)
    resolved = plugin.resolve(cfg.options)
    remote = plugin.remote_host(resolved)
    cores = os.cpu_count() or 1
    concurrency = own.get("concurrency") or (8 if remote else min(2, cores))
    options = dict(cfg.options)
    if not remote and "threads" in resolved and not resolved["threads"]:
        options["threads"] = max(1, cores // concurrency)  # the documents in flight share the cores
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"The output folder {args.out} cannot be made.") from exc
    if remote:
        print(f"{PROG}: sending pages to remote server {remote}", file=sys.stderr)
    backend = open_backend(BackendConfig(cfg.kind, options))
    words = load_lexicon()
    use_words(words)  # the triage score's "unknown word", as in the app
    try:
        progress = Progress(sys.stderr, len(documents))
        batch = BatchRun(
            # the word lists, as the app reads with them once they are loaded (decision 024)
            Recognizer(backend, batch_size=resolved["batch_size"], vocabulary=words),
            BatchOptions(
                store_dir=args.store_dir,
                user=values["review/reviewer"],
                dpi=values["document/dpi"],
                triage_threshold=values["review/triage_threshold"],
                unreadable_below=values["review/unreadable_below"],
                concurrency=concurrency,
                exports=exports,
                out_dir=args.out,
                retry_s=own.get("retry_s", 30.0),
            ),
            on_progress=progress,
        )
        _stop_on_signals(batch)
        summary = batch.run(documents, refused)
        progress.finish()
    finally:
        backend.close()
    print(format_summary(summary))
    (args.out / "batch-summary.json").write_text(json.dumps(_summary_json(summary), indent=1), encoding="utf-8")
    return summary.exit_code


def _stop_on_signals(batch: BatchRun) -> None:
    """Ctrl+C or SIGTERM: every worker finishes (or drops) its page and the summary is printed
    (exit 130); a second Ctrl+C stops at once. Pages committed are kept either way."""

    def on_signal(signum: int, _frame: object) -> None:
        if batch.is_stopping:
            raise KeyboardInterrupt
        batch.stop("Interrupted (Ctrl+C)." if signum == signal.SIGINT else "Terminated.", ExitCode.INTERRUPTED)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return run(args)
    except NoteLassoError as exc:
        if args.debug:
            raise
        return report_error(PROG, exc)
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except Exception as exc:  # last resort: a short message, never a traceback for staff
        if args.debug:
            raise
        print(f"{PROG}: internal error ({type(exc).__name__}); run again with --debug for details.", file=sys.stderr)
        return ExitCode.INTERNAL
