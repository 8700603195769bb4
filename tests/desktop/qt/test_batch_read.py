"""``notelasso batch``: a backlog with bad files among it, killed part way (SIGKILL), resumed;
every page read exactly once, bad files listed with their reasons, a person's review left alone,
and a batch-read review opening in the real window at its first doubtful region."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from desktop.batch.engine import KILL_AFTER_ENV
from desktop.core.batch_mark import read_mark
from desktop.core.review import next_doubtful
from desktop.core.session import ReviewSession
from tests.desktop.qt.conftest import wait_page

pytestmark = [pytest.mark.gui, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
LINES_PER_PAGE = 3


def _lines(doc: str, page: int) -> list[str]:
    return [f"Clinic note {doc} page {page + 1}", "BP 128/82 pulse 72", "Plan review in 2 weeks"]


def _backlog(folder: Path) -> dict[str, int]:
    """Good documents (name -> pages) and bad files in ``folder``: text drawn by PyMuPDF and Pillow."""
    import pymupdf
    from PIL import Image

    from inference.textimage import render_lines

    folder.mkdir()
    pdf = pymupdf.open()
    for p in range(3):
        page = pdf.new_page(width=320, height=130)
        for i, text in enumerate(_lines("A", p)):
            page.insert_text((20, 35 + 32 * i), text, fontsize=13)
    pdf.save(str(folder / "a-note.pdf"))
    pdf.close()
    frames = [Image.fromarray(render_lines(_lines("B", p), font_size=20, line_gap=1.0).image) for p in range(2)]
    frames[0].save(folder / "b-scan.tiff", save_all=True, append_images=frames[1:])
    Image.fromarray(render_lines(_lines("C", 0), font_size=20, line_gap=1.0).image).save(folder / "c-fax.png")
    # bad files: a cut-off PDF, an encrypted one, an empty image and a text file
    (folder / "d-cut.pdf").write_bytes((folder / "a-note.pdf").read_bytes()[:300])
    locked = pymupdf.open()
    locked.new_page().insert_text((72, 72), "locked", fontsize=12)
    locked.save(str(folder / "e-locked.pdf"), encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="pw", owner_pw="ow")  # type: ignore[attr-defined]
    locked.close()
    (folder / "f-empty.png").write_bytes(b"")
    (folder / "g-readme.txt").write_text("not a scan")
    return {"a-note.pdf": 3, "b-scan.tiff": 2, "c-fax.png": 1}


def _batch(inputs: Path, out: Path, store: Path, model: Path, *extra: str, env: dict[str, str] | None = None):
    cmd = [sys.executable, "-m", "desktop", "batch", str(inputs), "--out", str(out), "--store-dir", str(store)]
    cmd += ["--model", str(model), "--concurrency", "1", *extra]
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=full_env, cwd=ROOT)


def _pages_in(store: Path, doc: Path) -> Counter[int]:
    """Region count per page, and (checked) one ``batch_page`` audit entry per page read."""
    with ReviewSession.open(doc, store_dir=store) as session:
        per_page = Counter(r.page for r in session.regions())
        reads = Counter(e["detail"]["page"] for e in session.store.audit_log() if e["action"] == "batch_page")
        assert all(n == 1 for n in reads.values()), f"a page was read twice: {reads}"
        assert set(reads) == set(per_page)
        assert session.store.verify_audit().is_intact
    return per_page


def test_a_killed_batch_resumes_reads_each_page_once_and_the_window_opens_it(
    qtbot, make_window, tmp_path: Path, bundled_model: Path
) -> None:
    # GIVEN a folder of generated multi-page documents with bad files among them
    inputs, out, store = tmp_path / "in", tmp_path / "out", tmp_path / "store"
    good = _backlog(inputs)

    # WHEN the batch is killed (SIGKILL, as a power cut) once two pages are committed
    killed = _batch(inputs, out, store, bundled_model, env={KILL_AFTER_ENV: "2"})

    # THEN it died part way through the first document, whose two pages are kept whole
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert _pages_in(store, inputs / "a-note.pdf") == {0: LINES_PER_PAGE, 1: LINES_PER_PAGE}

    # WHEN it runs again
    resumed = _batch(inputs, out, store, bundled_model, "--export", "txt")

    # THEN it finishes the rest, reading every page exactly once; bad files are listed with reasons (exit 3)
    assert resumed.returncode == 3, resumed.stdout + resumed.stderr
    summary = {Path(d["path"]).name: d for d in json.loads((out / "batch-summary.json").read_text())["documents"]}
    assert summary["a-note.pdf"]["outcome"] == "resumed" and summary["a-note.pdf"]["pages_read"] == 1
    for name, pages in good.items():
        assert _pages_in(store, inputs / name) == dict.fromkeys(range(pages), LINES_PER_PAGE), name
        assert summary[name]["regions"] == pages * LINES_PER_PAGE
        assert (out / f"{Path(name).stem}.txt").is_file()
    reasons = {name: summary[name]["reason"] for name in ("d-cut.pdf", "e-locked.pdf", "f-empty.png", "g-readme.txt")}
    assert all(summary[name]["outcome"] == "failed" for name in reasons)
    assert "encrypted" in reasons["e-locked.pdf"] and "empty" in reasons["f-empty.png"]
    assert "not a PDF, TIFF, PNG or JPEG" in reasons["g-readme.txt"] and reasons["d-cut.pdf"]
    for name in reasons:
        assert name in resumed.stdout  # the summary table lists them too

    # GIVEN a person then corrects a region of one batch-read review
    with ReviewSession.open(inputs / "b-scan.tiff", store_dir=store, user="dr.lee") as session:
        first = session.regions()[0]
        session.set_text(first.id, "Corrected by a person")

    # WHEN the batch runs a third time
    again = _batch(inputs, out, store, bundled_model)

    # THEN nothing is read twice and the person's review is left as it is, and the summary says so
    summary = {Path(d["path"]).name: d for d in json.loads((out / "batch-summary.json").read_text())["documents"]}
    assert sum(d["pages_read"] for d in summary.values()) == 0
    assert summary["b-scan.tiff"]["outcome"] == "left as edited"
    assert "a person has edited were left as they are: b-scan.tiff" in again.stdout
    assert _pages_in(store, inputs / "b-scan.tiff") == {0: LINES_PER_PAGE, 1: LINES_PER_PAGE}
    with ReviewSession.open(inputs / "b-scan.tiff", store_dir=store) as session:
        assert session.get(first.id).text == "Corrected by a person"  # type: ignore[union-attr]

    # WHEN a reviewer opens a batch-read document in the window (every character below 0.99 is doubtful)
    window = make_window(str(inputs / "a-note.pdf"), "--threshold", "0.99", model=bundled_model)
    wait_page(qtbot, window)

    # THEN it shows its regions, says who read it with which model, and sits on the first doubtful region
    session = window.documents.session
    assert len(session.regions()) == 3 * LINES_PER_PAGE
    mark = read_mark(session.store)
    assert mark is not None and mark.is_complete
    told = window.review_banner.label.text()
    assert "Read by a batch run" in told and mark.model in told and mark.by in told
    assert not window.batch_arrival.badge.isHidden()
    expected = next_doubtful(session.regions(), None, 0, 0.99)
    assert expected is not None
    qtbot.waitUntil(lambda: window.navigator.current_id == expected.id, timeout=5000)
