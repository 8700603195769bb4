"""Benchmark the desktop app offscreen: ``python -m desktop.bench [--model M] [--document D]``.

Prints start-to-first-page-shown, PDF page render time, and lasso-release-to-text-shown
p50/p95 (the time a clerk waits after letting go of the mouse). Counts and timings only.

``--second-reader`` times the lassos with the second reader off and on in the same run, in
alternating rounds (off, on, three times), and how long the second reading takes to follow.
"""

from __future__ import annotations

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

from inference.errors import ExitCode  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "samples" / "clinical-note.pdf"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def regions_for(document: Path, count: int) -> list[list[tuple[float, float]]]:
    """Line polygons from the sample's truth file, else a grid of strips down the page."""
    truth = document.with_suffix(".truth.json")
    if truth.is_file():
        lines = json.loads(truth.read_text(encoding="utf-8"))["lines"]
        polys = [
            [(x - 6, y - 6), (x1 + 6, y - 6), (x1 + 6, y1 + 6), (x - 6, y1 + 6)]
            for x, y, x1, y1 in (ln["box"] for ln in lines)
        ]
    else:
        polys = [
            [(150, 150 + 60 * i), (1100, 150 + 60 * i), (1100, 200 + 60 * i), (150, 200 + 60 * i)] for i in range(20)
        ]
    return [polys[i % len(polys)] for i in range(count)]


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    parser = argparse.ArgumentParser(prog="python -m desktop.bench", description=__doc__)
    parser.add_argument("--document", type=Path, default=SAMPLE)
    parser.add_argument("--model", type=Path, help="ONNX model (default: the bundled one)")
    parser.add_argument("--regions", type=int, default=30, help="lassos to time")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument(
        "--second-reader", action="store_true", help="time the lassos with the second reader off and on, same run"
    )
    parser.add_argument("--pause", type=int, default=0, help="ms between a text shown and the next lasso")
    args = parser.parse_args(argv)
    if not args.document.is_file():
        print(f"document not found: {args.document}", file=sys.stderr)
        return ExitCode.INPUT

    from PySide6.QtCore import QEventLoop, QTimer

    from desktop.app import build_app

    tmp = Path(tempfile.mkdtemp(prefix="notelasso-bench-"))
    argv_app = [str(args.document), "--settings-file", str(tmp / "s.ini"), "--store-dir", str(tmp / "store")]
    if args.model:
        argv_app += ["--model", str(args.model)]
    if args.threads:
        argv_app += ["--threads", str(args.threads)]

    def wait(predicate, timeout_s: float = 60.0, wake=None) -> bool:
        """Run the event loop until ``predicate()``; ``wake`` (a signal) ends each wait at once,
        otherwise it polls every 20 ms. Polling more often would time the bench's own Python
        competing with the reading for the interpreter, not the app."""
        deadline = time.perf_counter() + timeout_s
        while not predicate():
            if time.perf_counter() > deadline:
                return False
            loop = QEventLoop()
            QTimer.singleShot(20, loop.quit)
            if wake is not None:
                wake.connect(loop.quit)
            loop.exec()
            if wake is not None:
                wake.disconnect(loop.quit)
        return True

    app, window = build_app(argv_app)
    window.show()
    if not wait(lambda: window.view.has_page):
        print("the first page was not shown within 60 s", file=sys.stderr)
        return ExitCode.ERROR
    first_page_ms = (time.perf_counter() - T_START) * 1e3
    print(f"start -> first page shown: {first_page_ms:7.0f} ms  (interpreter start excluded; imports included)")

    from inference.documents import open_document

    with open_document(args.document) as doc:
        dpi = window.documents.session.dpi
        times = []
        for i in range(5):
            t0 = time.perf_counter()
            doc.render(i % doc.page_count, dpi)
            times.append((time.perf_counter() - t0) * 1e3)
        print(
            f"page render ({doc.kind}, {dpi} dpi): median {statistics.median(times):6.1f} ms, "
            f"in app {window.documents.pages.last_render_ms:6.1f} ms"
        )

    recognition = window.recognition
    if (
        not wait(lambda: recognition.recognizer is not None or window.banner.isVisible())
        or recognition.recognizer is None
    ):
        print("recognition: no model (pass --model PATH); skipped")
        window.close()
        return ExitCode.OK
    print(f"back end: {window.recognition.backend_label} · {window.recognition.model_label}")
    done: dict[str, float] = {}
    window.recognition.region_read.connect(lambda rid, _turn: done.__setitem__(rid, time.perf_counter()))
    second = window.navigator.second_reader
    seconds: dict[str, float] = {}
    second.reading_arrived.connect(lambda rid: seconds.__setitem__(rid, time.perf_counter()))
    polys = regions_for(args.document, args.regions)
    rounds = [False, True] * 3 if args.second_reader else [False]
    per_round = max(1, len(polys) // len(rounds))
    latencies: dict[bool, list[float]] = {False: [], True: []}
    follow: list[float] = []
    for n, on in enumerate(rounds):
        window.apply_settings({"review/second_reader": on})
        if on and not wait(lambda: not second.is_busy, 60.0):
            print("the second reader did not finish within 60 s", file=sys.stderr)
        for poly in polys[n * per_round : (n + 1) * per_round]:
            before = set(done)
            t0 = time.perf_counter()
            window.view.draw_polygon(poly)  # what the mouse release calls
            rid = window.navigator.current_id
            arrived = lambda rid=rid, before=before: rid in done and rid not in before  # noqa: E731
            if not wait(arrived, 30.0, wake=window.recognition.region_read):
                print("a recognition did not finish within 30 s", file=sys.stderr)
                break
            app.processEvents()  # the panel has painted the text
            latencies[on].append((done[rid] - t0) * 1e3)
            if args.pause:
                resume = time.perf_counter() + args.pause / 1e3
                wait(lambda resume=resume: time.perf_counter() > resume, 60.0)
        if on:  # the last second readings of the round, before the next round times anything
            wait(lambda: not second.is_busy, 60.0)
            follow += [(seconds[r] - done[r]) * 1e3 for r in done if r in seconds and seconds[r] > done[r]]
            seconds.clear()
    for on, values in latencies.items():
        if values:
            label = f" (second reader {'on' if on else 'off'})" if args.second_reader else ""
            print(
                f"lasso release -> text shown{label}: p50 {percentile(values, 50):6.1f} ms, "
                f"p95 {percentile(values, 95):6.1f} ms over {len(values)} regions"
            )
    if args.second_reader:
        status = second.status_text() or "off"
        if follow:
            print(
                f"text shown -> second reading ({status}): p50 {percentile(follow, 50):6.1f} ms, "
                f"p95 {percentile(follow, 95):6.1f} ms over {len(follow)} regions"
            )
        else:
            print(f"second reader: no second reading arrived ({status})")
    window.close()
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
