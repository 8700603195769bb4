"""The review's progress per page, and the region order a reviewer sets (kept, undone, exported)."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pymupdf
import pytest

from desktop.core.export import export_session
from desktop.core.history import Operation, SetOrder, SetStatus, SetText
from desktop.core.progress import PageProgress, document_progress, page_progress
from desktop.core.regions import Region, RegionStatus, moved_ranks, order_regions
from desktop.core.review import next_unreviewed
from desktop.core.session import ReviewSession
from desktop.core.storage import SCHEMA_VERSION
from tests.desktop.core.conftest import make_result, rect

WORDS = ("alpha", "bravo", "charlie")


def _region(rid: str, page: int, y: float, **changes: object) -> Region:
    return Region(id=rid, page=page, polygon=tuple(rect(10, y, 200, y + 30)), **changes)  # type: ignore[arg-type]


def _three_lines(s: ReviewSession) -> list[str]:
    """Three read lines, top to bottom, reading "alpha", "bravo", "charlie"."""
    ids = []
    for i, word in enumerate(WORDS):
        y = 20 + 60 * i
        r = s.add_region(0, rect(10, y, 200, y + 30))
        s.apply_recognition(r.id, make_result([[(word, (12, y + 2, 120, y + 28))]]), engine="e", model="m")
        ids.append(r.id)
    return ids


def _move(s: ReviewSession, rid: str, delta: int) -> None:
    ranks = moved_ranks(s.regions(s.get(rid).page), rid, delta)  # type: ignore[union-attr]
    assert ranks is not None
    s.do(SetOrder.new(s, ranks, "Move region up" if delta < 0 else "Move region down"))


# -- progress ------------------------------------------------------------------------------------
def test_progress_counts_regions_reviewed_doubtful_and_unreadable_per_page() -> None:
    # GIVEN page 1 with a verified, a corrected, a doubtful and an unreadable region, page 2 empty,
    # page 3 with one clean reading
    sure, unsure, junk = (0.99,) * 4, (0.99, 0.4, 0.99, 0.99), (0.3,) * 4
    regions = [
        _region("a", 0, 10, status=RegionStatus.VERIFIED, model_text="abcd", text="abcd", confidences=unsure),
        _region("b", 0, 60, status=RegionStatus.CORRECTED, model_text="abcd", text="abce", confidences=unsure),
        _region("c", 0, 110, status=RegionStatus.READ, model_text="abcd", text="abcd", confidences=unsure),
        _region("d", 0, 160, status=RegionStatus.READ, model_text="x#%q", text="x#%q", confidences=junk),
        _region("e", 2, 10, status=RegionStatus.READ, model_text="abcd", text="abcd", confidences=sure),
    ]
    # WHEN the progress is counted with doubt below 0.9 and unreadable below a 0.5 mean
    rows = page_progress(regions, 3, threshold=0.9, floor=0.5)
    # THEN each page has its row (the empty one too), and the unreadable one is not also doubtful
    assert rows == [PageProgress(0, 4, 2, 1, 1), PageProgress(1), PageProgress(2, 1, 0, 0, 0)]
    assert document_progress(rows) == PageProgress(None, 5, 2, 1, 1)
    assert not rows[1].is_done and not rows[2].is_done
    assert page_progress([r.with_changes(status=RegionStatus.VERIFIED) for r in regions], 3, 0.9)[2].is_done
    # AND with the unreadable rule off, the junk reading counts as doubtful
    assert page_progress(regions, 3, threshold=0.9, floor=0.0)[0] == PageProgress(0, 4, 2, 2, 0)


def test_next_unreviewed_goes_across_pages_and_wraps() -> None:
    done = {"status": RegionStatus.VERIFIED}
    order = [_region("a", 0, 10, **done), _region("b", 0, 60), _region("c", 1, 10, **done), _region("d", 2, 10)]
    assert next_unreviewed(order, "b", 0).id == "d"  # type: ignore[union-attr]  # past the reviewed page 2
    assert next_unreviewed(order, "d", 2).id == "b"  # type: ignore[union-attr]  # wraps round
    assert next_unreviewed(order, None, 1).id == "d"  # type: ignore[union-attr]  # from the page shown
    assert next_unreviewed([r.with_changes(**done) for r in order], "a", 0) is None


# -- order ---------------------------------------------------------------------------------------
def test_the_reviewers_ranks_order_a_page_and_later_regions_keep_their_reading_place() -> None:
    a, b, c, d = (_region(k, 0, y) for k, y in (("a", 10), ("b", 60), ("c", 110), ("d", 160)))
    other = _region("p2", 1, 10)
    # GIVEN reading order a b c d; the reviewer moved c above a
    ranks = moved_ranks(order_regions([a, b, c]), "c", -1)
    assert ranks == {"a": 0.0, "c": 1.0, "b": 2.0}
    assert moved_ranks(order_regions([a, b, c]), "a", -1) is None  # first already
    ranks = moved_ranks([a.with_changes(rank=0.0), c.with_changes(rank=1.0), b.with_changes(rank=2.0)], "c", -1)
    placed = [r.with_changes(rank=ranks[r.id]) for r in (a, b, c)]  # type: ignore[index]
    # WHEN d is drawn below them later, and a region sits on page 2
    order = order_regions([other, d, *placed])
    # THEN the page goes by rank (c a b), d after b (its reading predecessor), then page 2
    assert [r.id for r in order] == ["c", "a", "b", "d", "p2"]


def test_moving_a_region_is_one_undo_step_kept_on_disk(image_doc: Path) -> None:
    # GIVEN three read lines
    s = ReviewSession.open(image_doc, user="clerk1")
    a, b, c = _three_lines(s)
    # WHEN the reviewer moves the last one up, twice
    _move(s, c, -1)
    _move(s, c, -1)
    assert [r.id for r in s.regions()] == [c, a, b]
    assert s.undo_text() == "Move region up" and s.get(c).status == RegionStatus.READ  # type: ignore[union-attr]
    # THEN one undo puts back one move, and redo does it again
    s.undo()
    assert [r.id for r in s.regions()] == [a, c, b]
    s.redo()
    s.close()
    # AND the order and the undo history survive reopening
    s = ReviewSession.open(image_doc, user="clerk1")
    try:
        assert [r.id for r in s.regions()] == [c, a, b]
        s.undo()
        s.undo()
        assert [r.id for r in s.regions()] == [a, b, c]
        assert all(r.rank is None for r in s.regions()) or [r.id for r in s.regions()] == [a, b, c]
        actions = [e["action"] for e in s.store.audit_log()]
        assert actions.count("reorder") >= 3  # each rank set is in the audit trail
    finally:
        s.close()


def test_a_store_saved_before_ranks_is_upgraded_and_keeps_its_regions(image_doc: Path) -> None:
    # GIVEN a review saved by the previous version (schema 3: no rank column) with history
    s = ReviewSession.open(image_doc, user="clerk1")
    a, b, c = _three_lines(s)
    s.do(SetText(region_id=b, text="bravo!"))
    path = s.store.path
    s.close()
    con = sqlite3.connect(path)
    con.execute("ALTER TABLE regions DROP COLUMN rank")
    con.execute("PRAGMA user_version=3")
    con.commit()
    con.close()
    # WHEN it is opened and a region moved
    s = ReviewSession.open(image_doc, user="clerk1")
    try:
        assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        # THEN its regions come back in reading order, with their text and its history
        assert [r.id for r in s.regions()] == [a, b, c]
        assert s.get(b).text == "bravo!" and s.undo_text() == "Edit text"  # type: ignore[union-attr]
        _move(s, b, +1)
        assert [r.id for r in s.regions()] == [a, c, b]
    finally:
        s.close()
    s = ReviewSession.open(image_doc, user="clerk1")
    assert [r.id for r in s.regions()] == [a, c, b]
    s.close()


def test_an_old_history_step_without_ranks_still_loads() -> None:
    # A region snapshot stored before ranks has no "rank" key: it reads as reading order.
    d = _region("x", 0, 10).to_dict()
    del d["rank"]
    assert Region.from_dict(d).rank is None
    op = Operation.from_dict(SetStatus(region_id="x", before=Region.from_dict(d)).to_dict())
    assert isinstance(op, SetStatus)
    assert json.loads(json.dumps(SetOrder(after={"x": 1.0}, before={"x": None}).to_dict()))["before"] == {"x": None}


@pytest.fixture
def reordered(image_doc: Path):
    """Three read lines, the last moved to the top: the review's order is charlie, alpha, bravo."""
    s = ReviewSession.open(image_doc, user="clerk1")
    _a, _b, c = _three_lines(s)
    _move(s, c, -1)
    _move(s, c, -1)
    yield s
    s.close()


def test_every_export_follows_the_reviewers_order(reordered: ReviewSession, tmp_path: Path) -> None:
    want = ["charlie", "alpha", "bravo"]

    def texts(root: ET.Element, tag: str, attr: str | None = None) -> list[str]:
        found = [e for e in root.iter() if e.tag.endswith(tag)]
        return [(e.get(attr) if attr else e.text) or "" for e in found]

    [txt] = export_session(reordered, "txt", tmp_path / "n.txt")
    assert txt.read_text(encoding="utf-8").split() == want
    [csv] = export_session(reordered, "csv", tmp_path / "n.csv")
    assert [w for w in WORDS if w in csv.read_text(encoding="utf-8")] == list(WORDS)
    lines = csv.read_text(encoding="utf-8").splitlines()[1:]
    assert [next(w for w in WORDS if w in line) for line in lines] == want
    [js] = export_session(reordered, "json", tmp_path / "n.json")
    regions = json.loads(js.read_text(encoding="utf-8"))["pages"][0]["regions"]
    assert [r["text"] for r in regions] == want
    [hocr] = export_session(reordered, "hocr", tmp_path / "n.hocr")
    assert [t for t in texts(ET.parse(hocr).getroot(), "span") if t.strip()] == want
    [alto] = export_session(reordered, "alto", tmp_path / "n.alto.xml")
    assert texts(ET.parse(alto).getroot(), "String", "CONTENT") == want
    [page] = export_session(reordered, "page", tmp_path / "n.page.xml")
    root = ET.parse(page).getroot()
    assert list(dict.fromkeys(t for t in texts(root, "Unicode") if t in WORDS)) == want  # word, line, region
    refs = [e.get("regionRef") for e in root.iter() if e.tag.endswith("RegionRefIndexed")]
    ids = [e.get("id") for e in root.iter() if e.tag.endswith("TextRegion")]
    assert refs == ids
    [pdf] = export_session(reordered, "pdf", tmp_path / "n.pdf")
    with pymupdf.open(str(pdf)) as doc:
        assert doc[0].get_text("text").split() == want  # the text layer, in its stream's order
