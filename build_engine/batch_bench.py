"""Pages per minute of ``notelasso batch``: the CPU back end, then a real Triton server on loopback at
1, 4 and 16 documents in flight, in one run (``python -m build_engine.batch_bench``).

A generated backlog (:func:`desktop.batch.samples.write_backlog`: PDF, TIFF and PNG pages of note
text) is read by :class:`desktop.batch.engine.BatchRun` into a fresh review folder per case, so
every case reads every page. The Triton server is started from ``.venv-triton`` on 127.0.0.1
(``build_engine.triton_server``) with the model served by Triton's Python back end (ONNX Runtime
on the CPU) and dynamic batching; the table also gives the server's average executed batch, which
shows whether several documents in flight fill it. Nothing recognised is printed.

It lives here, beside the Triton server tooling it starts, because the app (``desktop``) never
imports build_engine (tests/test_import_walls.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from desktop.batch.engine import BatchOptions, BatchRun, find_inputs
from desktop.batch.samples import write_backlog
from inference.backends import BackendConfig, open_backend
from inference.recognizer import Recognizer

__all__ = ["main", "measure"]


def measure(recognizer: Recognizer, inputs: Path, store: Path, concurrency: int) -> tuple[int, float, int]:
    """Read the backlog into the empty review folder ``store``; returns (pages read, seconds, retries)."""
    documents, _refused = find_inputs([inputs])
    t0 = time.perf_counter()
    summary = BatchRun(recognizer, BatchOptions(store_dir=store, user="bench", concurrency=concurrency)).run(documents)
    seconds = time.perf_counter() - t0
    if summary.stopped or any(d.outcome == "failed" for d in summary.documents):
        raise RuntimeError(f"the bench run failed: {summary.stopped or [d.reason for d in summary.documents]}")
    return summary.pages_read, seconds, summary.retries


def _warm_up(recognizer: Recognizer) -> None:
    import numpy as np

    recognizer.backend.infer(np.zeros((1, *recognizer.spec.input_shape), np.float32))


def _row(out: Callable[[str], None], case: str, concurrency: int, run: tuple[int, float, int], batch: str) -> None:
    pages, seconds, retries = run
    out(f"| {case} | {concurrency} | {pages} | {seconds:.1f} | {pages / seconds * 60:.1f} | {batch} | {retries} |")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m build_engine.batch_bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--documents", type=int, default=16, help="documents in the backlog (default 16)")
    p.add_argument("--pages", type=int, default=1, help="pages per PDF and TIFF (a PNG has one; default 1)")
    p.add_argument("--concurrency", default="1,4,16", help="documents in flight on Triton (default 1,4,16)")
    p.add_argument("--cpu-threads", type=int, default=0, help="ONNX Runtime threads, both sides (0: all cores)")
    p.add_argument("--model", type=Path, help="the ONNX model (default: the bundled one)")
    p.add_argument("--no-triton", action="store_true", help="measure the CPU back end only")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds a Triton request may take (default 10)")
    args = p.parse_args(argv)
    from inference.models import default_model_path

    model = args.model or default_model_path()
    if model is None:
        print("no model: pass --model", file=sys.stderr)
        return 4
    cores = os.cpu_count() or 1
    threads = args.cpu_threads or cores
    out = print
    with tempfile.TemporaryDirectory(prefix="notelasso-batch-bench-") as tmp:
        root = Path(tmp)
        write_backlog(root / "in", documents=args.documents, pages=args.pages)
        out(f"backlog: {args.documents} documents, {len(list((root / 'in').iterdir()))} files; {cores} CPU cores")
        out("| back end | documents in flight | pages | seconds | pages/min | server's avg batch | retries |")
        out("|---|---|---|---|---|---|---|")
        cpu = open_backend(BackendConfig("cpu", {"model_path": str(model), "threads": threads}))
        try:
            rec = Recognizer(cpu)
            _warm_up(rec)
            run = measure(rec, root / "in", root / "cpu", min(2, cores))
            _row(out, f"CPU (ONNX Runtime, {threads} threads)", min(2, cores), run, "-")
        finally:
            cpu.close()
        if not args.no_triton:
            _triton(args, model, root, threads, out)
    return 0


def _triton(args: argparse.Namespace, model: Path, root: Path, threads: int, out: Callable[[str], None]) -> None:
    from build_engine.triton_repo import RepoOptions, write_repository
    from build_engine.triton_server import TritonServer
    from inference.bench_triton import _server_stats

    name = "notelasso_parseq"
    repo = root / "repo"
    write_repository(
        model,
        repo,
        RepoOptions(
            model_name=name,
            platform="python",
            max_batch_size=64,
            preferred_batch_sizes=(16, 64),
            max_queue_delay_us=5000,
            cpu_threads=threads,
        ),
    )
    with TritonServer(repo) as server:
        values = {"url": server.grpc_url, "model_name": name, "timeout_s": args.timeout}
        backend = open_backend(BackendConfig("triton", values))
        try:
            rec = Recognizer(backend)
            _warm_up(rec)
            for concurrency in (int(c) for c in args.concurrency.split(",")):
                before = _server_stats(server.grpc_url, name, None)
                run = measure(rec, root / "in", root / f"triton-{concurrency}", concurrency)
                after = _server_stats(server.grpc_url, name, None)
                runs = after["executions"] - before["executions"]
                crops = after["inferences"] - before["inferences"]
                batch = f"{crops / runs:.1f} crops" if runs else "-"
                _row(out, f"Triton gRPC loopback, timeout {args.timeout:g} s", concurrency, run, batch)
        finally:
            backend.close()


if __name__ == "__main__":
    raise SystemExit(main())
