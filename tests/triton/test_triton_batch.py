"""``notelasso batch`` through a real tritonserver on loopback: several documents in flight, a
server that dies part way stops the run clearly (exit code REMOTE), and a resumed run against a
server brought back reads the remaining pages exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from build_engine.triton_repo import RepoOptions, write_repository
from desktop.batch.engine import BatchOptions, BatchRun, find_inputs
from desktop.batch.samples import write_backlog
from desktop.core.session import ReviewSession
from inference.backends import BackendConfig, open_backend
from inference.errors import ExitCode
from inference.recognizer import Recognizer
from tests.triton.conftest import need_triton_venv

pytestmark = [pytest.mark.triton, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    need_triton_venv()
    tiny_onnx = request.getfixturevalue("tiny_onnx")
    folder = tmp_path_factory.mktemp("batch-repo")
    options = RepoOptions(
        model_name="tiny", platform="python", max_batch_size=32, preferred_batch_sizes=(8, 32), cpu_threads=1
    )
    write_repository(tiny_onnx, folder, options)
    return folder


def _reads(store: Path, doc: Path) -> Counter[int]:
    with ReviewSession.open(doc, store_dir=store) as session:
        return Counter(e["detail"]["page"] for e in session.store.audit_log() if e["action"] == "batch_page")


def test_a_server_gone_stops_the_run_and_a_resumed_run_reads_the_rest_once(repo: Path, tmp_path: Path) -> None:
    from build_engine.triton_server import TritonServer

    # GIVEN a backlog of documents and a Triton server on loopback
    inputs, store = tmp_path / "in", tmp_path / "store"
    write_backlog(inputs, documents=4, pages=2)
    documents, _ = find_inputs([inputs])
    total = 0
    server = TritonServer(repo).start(timeout_s=120)
    try:
        backend = open_backend(BackendConfig("triton", {"url": server.grpc_url, "model_name": "tiny"}))
        pages_seen = []

        def progress(event: str, _pages: int) -> None:
            if event == "read":  # a page was committed
                pages_seen.append(1)
                if len(pages_seen) == 1:
                    server.kill()  # the server dies once the first page is committed

        # WHEN four documents are in flight and the server dies part way
        run = BatchRun(
            Recognizer(backend),
            BatchOptions(store_dir=store, concurrency=4, retry_s=1.0, retry_first_s=0.2),
            on_progress=progress,
        )
        summary = run.run(documents)
        backend.close()
    finally:
        server.stop()

    # THEN the run stops clearly (exit code REMOTE), keeping what was committed
    assert summary.exit_code == ExitCode.REMOTE
    assert "Triton" in summary.stopped and "kept" in summary.stopped
    done_before = summary.pages_read
    assert 1 <= done_before < 7

    # WHEN the server is back and the same batch runs again (the real command, four documents in flight)
    with TritonServer(repo) as again:
        cmd = [sys.executable, "-m", "desktop", "batch", str(inputs), "--out", str(tmp_path / "out")]
        cmd += ["--store-dir", str(store), "--backend", "triton", "--url", again.grpc_url, "--model-name", "tiny"]
        done = subprocess.run(
            [*cmd, "--concurrency", "4"],
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
        )

    # THEN it reads the rest, and every page of every document was read exactly once
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sending pages to remote server" in done.stderr
    for doc in documents:
        reads = _reads(store, doc)
        total += sum(reads.values())
        assert reads and all(n == 1 for n in reads.values()), (doc.name, reads)
    assert total == 7  # 2 + 2 + 1 + 2 pages

    # WHEN it runs with the server gone from the start, THEN it stops at once with REMOTE and says why
    gone = subprocess.run(
        [*cmd, "--timeout", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    assert gone.returncode == ExitCode.REMOTE, gone.stderr
    assert "Triton" in gone.stderr
