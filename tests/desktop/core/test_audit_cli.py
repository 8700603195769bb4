"""``notelasso-audit``: verify and export a review's trail; patient data stays out of logs and temp files."""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import stat
import tempfile
from pathlib import Path

import pytest

from desktop.audit_cli import main
from desktop.core.history import AddRegion, SetStatus, SetText
from desktop.core.session import ReviewSession
from inference.errors import ExitCode
from tests.desktop.core.conftest import make_result, rect

CANARY = "ZQXCANARY7731"


def _review(document: Path, store: Path) -> Path:
    """A short review through the core: a region read, corrected with the canary, verified, signed off."""
    with ReviewSession.open(document, store_dir=store, user="clerk1") as s:
        add = AddRegion.new(0, rect(0, 0, 40, 20))
        s.do(add)
        s.apply_recognition(add.region_id, make_result([[(CANARY, (0, 0, 30, 15))]]), engine="cpu", model="m 1")
        s.do(SetText(add.region_id, text=f"{CANARY} 75mg"))
        s.do(SetStatus(add.region_id, status="verified"))
        s.sign_off()
        return s.store.path


@pytest.fixture
def canary_doc(image_doc: Path) -> Path:
    return image_doc.rename(image_doc.with_name(f"{CANARY}-note.png"))


def test_an_untouched_review_verifies_and_a_changed_one_does_not(
    canary_doc: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a signed-off review
    path = _review(canary_doc, tmp_path / "reviews")
    # WHEN it is verified untouched THEN it is intact (exit 0) and the sign-off is shown
    assert main(["verify", str(path)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "intact" in out and "Signed off by clerk1" in out
    # WHEN an entry is changed behind NoteLasso's back THEN verify names it and exits AUDIT_BROKEN
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as con:
        con.execute("UPDATE audit_chain SET entry=replace(entry, '75mg', '7.5mg') WHERE seq=3")
    assert main(["verify", str(path)]) == ExitCode.AUDIT_BROKEN and int(ExitCode.AUDIT_BROKEN) == 9
    err = capsys.readouterr().err
    assert "broken at entry 3" in err and CANARY not in err


def test_export_writes_private_csv_and_json_with_the_sign_off(canary_doc: Path, tmp_path: Path) -> None:
    path = _review(canary_doc, tmp_path / "reviews")
    assert main(["export", str(path), "-o", str(tmp_path / "trail")]) == ExitCode.OK
    body = json.loads((tmp_path / "trail.json").read_text("utf-8"))
    assert body["verdict"]["intact"] and body["entries"][0]["action"] == "genesis"
    assert body["sign_off"]["reviewer"] == "clerk1" and len(body["sign_off"]["chain_head"]) == 64
    assert (tmp_path / "trail.csv").read_text("utf-8").splitlines()[0].startswith("seq,at,reviewer,action")
    for name in ("trail.csv", "trail.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_reviews_are_created_private(canary_doc: Path, tmp_path: Path) -> None:
    path = _review(canary_doc, tmp_path / "reviews")
    for f in path.parent.iterdir():
        if f.name.startswith(path.name) and not f.name.endswith(".lock"):
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f.name


def test_the_canary_never_reaches_a_log_a_temp_file_or_an_error(
    canary_doc: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN logging at DEBUG everywhere and a temp folder of our own
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    caplog.set_level(logging.DEBUG)
    # WHEN a review holding the canary in its file name and text goes through the core and the CLI
    path = _review(canary_doc, tmp_path / "reviews")
    with ReviewSession.open(canary_doc, store_dir=tmp_path / "reviews", user="clerk2") as s:
        s.set_text(s.regions()[0].id, f"{CANARY} again")  # reopens the sign-off
    with ReviewSession.open(canary_doc, store_dir=tmp_path / "reviews", user="clerk3") as reader:
        with ReviewSession.open(canary_doc, store_dir=tmp_path / "reviews", user="clerk4") as second:
            assert second.is_read_only  # read through a snapshot (a temp copy when there is a WAL)
        assert len(reader) == 1
    main(["--debug", "verify", str(path)])
    main(["--debug", "export", str(path), "-o", str(tmp_path / "out" / "trail")])  # folder missing: an error
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as con:
        con.execute("DELETE FROM audit_chain WHERE seq=2")
    main(["--debug", "verify", str(path)])
    # THEN no log record, printed message or temp file holds it
    captured = capsys.readouterr()
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert caplog.records and CANARY not in logged
    assert CANARY not in captured.out + captured.err
    leftovers = [f for f in temp.rglob("*") if f.is_file()]
    assert not any(CANARY.encode() in f.read_bytes() for f in leftovers) and not leftovers
