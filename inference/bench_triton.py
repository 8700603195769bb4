"""Load test for a Triton server, in the spirit of perf_analyzer.

N concurrent users each send lasso-sized requests (``crops_per_request`` word crops) for a fixed
time, through the NoteLasso client (one gRPC channel per user, one request per lasso, binary
tensors). Reported per user count: requests/s, crops/s, p50/p95/p99 latency of a lasso, and the
server's own queue and compute time per request and average executed batch, from Triton's
inference statistics (delta over the run). In the same run a naive client (HTTP, one request
per crop, no batching on the client) does the same work for comparison; the last table gives
the ratio ours/naive. Crops are rendered text; no pixels or text are logged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from inference.errors import NoteLassoError, RemoteInferenceError

OURS = "grpc, batched"
NAIVE = "http, per crop"


def _crop_batch(spec: Any, n: int) -> np.ndarray:
    from inference.bench import WORDS
    from inference.preprocess import resize_normalise
    from inference.textimage import render_lines

    rendered = render_lines([" ".join(WORDS[:8])], font_size=30)
    crops = [rendered.image[y0:y1, x0:x1] for line in rendered.lines for _, (x0, y0, x1, y1) in line]
    return np.stack([resize_normalise(crops[i % len(crops)], spec) for i in range(n)])


def _server_stats(url: str, model_name: str, headers: dict[str, str] | None) -> dict[str, float]:
    """Cumulative counters of the model on the server (summed over versions)."""
    import tritonclient.grpc as grpcclient

    client = grpcclient.InferenceServerClient(url)
    try:
        stats = client.get_inference_statistics(model_name, headers=headers, as_json=True, client_timeout=10.0)
    finally:
        client.close()
    total = {"success": 0.0, "queue_ns": 0.0, "compute_ns": 0.0, "inferences": 0.0, "executions": 0.0}
    for m in stats.get("model_stats", []):
        s = m.get("inference_stats", {})
        total["success"] += float(s.get("success", {}).get("count", 0))
        total["queue_ns"] += float(s.get("queue", {}).get("ns", 0))
        total["compute_ns"] += sum(
            float(s.get(k, {}).get("ns", 0)) for k in ("compute_input", "compute_infer", "compute_output")
        )
        total["inferences"] += float(m.get("inference_count", 0))
        total["executions"] += float(m.get("execution_count", 0))
    return total


def _drive(
    make_user: Callable[[], Callable[[], None]], close_user: Callable[[Any], None], users: int, seconds: float
) -> tuple[list[float], int, float]:
    """Run ``users`` threads, each calling its request function until time is up."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = [0.0]
    # The barrier's action sets the end time before any user is released.
    start = threading.Barrier(users + 1, action=lambda: stop_at.__setitem__(0, time.perf_counter() + seconds))

    def worker() -> None:
        send: Callable[[], None] | None = None
        try:
            send = make_user()
            send()  # warm-up, not counted
        except NoteLassoError:
            with lock:
                errors[0] += 1
            send = None
        try:
            start.wait(timeout=120)
        except threading.BrokenBarrierError:
            return
        if send is None:
            return
        mine: list[float] = []
        bad = 0
        while time.perf_counter() < stop_at[0]:
            t0 = time.perf_counter()
            try:
                send()
                mine.append(time.perf_counter() - t0)
            except NoteLassoError:
                bad += 1
                time.sleep(0.05)
        with lock:
            latencies.extend(mine)
            errors[0] += bad
        close_user(send)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(users)]
    for t in threads:
        t.start()
    start.wait(timeout=180)
    t0 = stop_at[0] - seconds
    for t in threads:
        t.join(seconds + 60)
    return latencies, errors[0], time.perf_counter() - t0


def _row(
    client: str,
    users: int,
    crops_per_request: int,
    latencies: list[float],
    errors: int,
    wall: float,
    before: dict[str, float],
    after: dict[str, float],
) -> dict[str, Any]:
    n = len(latencies)
    ms = np.asarray(latencies) * 1e3 if n else np.asarray([np.nan])
    d = {k: after[k] - before[k] for k in before}
    server_requests = max(d["success"], 1.0)
    return {
        "client": client,
        "users": users,
        "crops_per_request": crops_per_request,
        "requests": n,
        "errors": errors,
        "seconds": wall,
        "req_per_s": n / wall,
        "crops_per_s": n * crops_per_request / wall,
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "p99_ms": float(np.percentile(ms, 99)),
        "server_queue_ms": d["queue_ns"] / server_requests / 1e6,
        "server_compute_ms": d["compute_ns"] / server_requests / 1e6,
        "server_avg_batch": d["inferences"] / max(d["executions"], 1.0),
    }


def _default_http_url(url: str) -> str | None:
    host, _, port = url.rpartition(":")
    return f"{host}:8000" if port == "8001" else None


def format_table(rows: Sequence[dict[str, Any]]) -> list[str]:
    lines = [
        (
            f"{'client':<16}{'users':>6}{'req/s':>9}{'crops/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
            f"{'queue ms':>10}{'compute ms':>11}{'batch':>7}{'errors':>7}"
        )
    ]
    for r in rows:
        lines.append(
            f"{r['client']:<16}{r['users']:>6}{r['req_per_s']:>9.1f}{r['crops_per_s']:>9.1f}"
            f"{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['server_queue_ms']:>10.2f}"
            f"{r['server_compute_ms']:>11.2f}{r['server_avg_batch']:>7.1f}{r['errors']:>7}"
        )
    return lines


def run_load_benchmark(
    url: str,
    model_name: str,
    *,
    users: Sequence[int] = (1, 8, 40, 64),
    seconds: float = 10.0,
    crops_per_request: int = 8,
    http_url: str | None = None,
    out: Callable[[str], None] = print,
    timeout_s: float = 30.0,
    headers: dict[str, str] | None = None,
    naive_model_name: str | None = None,
) -> list[dict[str, Any]]:
    """Run the load test; print a table (and ours/naive ratios) through ``out``; return the rows.

    ``http_url`` is the server's HTTP address for the naive client; when None, port 8000 on the
    gRPC host is used if the gRPC port is 8001, else the naive client is skipped.
    ``naive_model_name`` lets the naive client use a copy of the model served without dynamic
    batching (``triton-repo --no-dynamic-batching``), as the setup being replaced was.
    """
    naive_model = naive_model_name or model_name
    from inference.backends.triton_grpc import TritonBackend

    probe = TritonBackend(url, model_name, timeout_s=timeout_s, headers=headers)
    spec = probe.spec
    probe.close()
    batch = _crop_batch(spec, crops_per_request)
    http_url = http_url or _default_http_url(url)
    out(
        f"Triton load test: {url} model {model_name} ({spec.name} {spec.version}); naive client: HTTP, "
        f"one crop per request, model {naive_model}; "
        f"{crops_per_request} crops per request, {seconds:g} s per run"
    )

    def ours() -> Callable[[], None]:
        backend = TritonBackend(url, model_name, timeout_s=timeout_s, headers=headers)

        def send() -> None:
            backend.infer(batch)

        send.backend = backend  # type: ignore[attr-defined]
        return send

    def naive() -> Callable[[], None]:
        import tritonclient.http as httpclient

        client = httpclient.InferenceServerClient(http_url, connection_timeout=timeout_s, network_timeout=timeout_s)

        def send() -> None:
            for i in range(crops_per_request):  # one crop per request, one request at a time
                inp = httpclient.InferInput(spec.input_name, [1, *spec.input_shape], "FP32")
                inp.set_data_from_numpy(batch[i : i + 1])
                try:
                    client.infer(naive_model, [inp], headers=headers)
                except Exception as exc:  # tritonclient and socket errors
                    raise RemoteInferenceError("naive HTTP request failed") from exc

        send.client = client  # type: ignore[attr-defined]
        return send

    def close(send: Any) -> None:
        for attr in ("backend", "client"):
            if hasattr(send, attr):
                getattr(send, attr).close()

    clients = [(OURS, ours)] + ([(NAIVE, naive)] if http_url else [])
    rows: list[dict[str, Any]] = []
    for n in users:
        for label, make in clients:
            served = naive_model if label == NAIVE else model_name
            before = _server_stats(url, served, headers)
            latencies, errors, wall = _drive(make, close, n, seconds)
            after = _server_stats(url, served, headers)
            rows.append(_row(label, n, crops_per_request, latencies, errors, wall, before, after))
    for line in format_table(rows):
        out(line)
    if not http_url:
        out("naive HTTP client skipped: pass http_url (--http-url) to compare")
        return rows
    out(f"{'users':>6}{'crops/s ours/naive':>20}{'p50 naive/ours':>16}")
    for n in users:
        o = next(r for r in rows if r["users"] == n and r["client"] == OURS)
        v = next(r for r in rows if r["users"] == n and r["client"] == NAIVE)
        out(
            f"{n:>6}{o['crops_per_s'] / max(v['crops_per_s'], 1e-9):>20.2f}"
            f"{v['p50_ms'] / max(o['p50_ms'], 1e-9):>16.2f}"
        )
    return rows
