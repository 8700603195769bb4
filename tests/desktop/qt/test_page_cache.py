"""PageCache: the page asked for comes before thumbnails, thumbnails are small, memory is bounded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from PySide6.QtGui import QImage

from desktop.qt.pages import PAGE_CACHE_BYTES, THUMB_WIDTH, PageCache
from inference.documents import open_document


def _tiff(path: Path, pages: int, size: tuple[int, int]) -> Path:
    frames = []
    for i in range(pages):
        img = Image.new("1", size, 1)
        ImageDraw.Draw(img).rectangle((100, 100 + 10 * i, 900, 140 + 10 * i), fill=0)
        frames.append(img)
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="group4")
    return path


def test_the_page_asked_for_comes_before_the_thumbnails(qtbot, tmp_path) -> None:
    # GIVEN a 12-page scan whose thumbnails were all asked for first
    doc = open_document(_tiff(tmp_path / "scan.tiff", 12, (2550, 3300)))
    cache = PageCache()
    cache.reset(doc, 200)
    events: list[tuple[str, int]] = []
    thumbs: dict[int, int] = {}
    cache.page_ready.connect(lambda _g, i: events.append(("page", i)))

    def on_thumb(_gen: int, index: int, image: QImage) -> None:
        events.append(("thumb", index))
        thumbs[index] = image.width()

    cache.thumb_ready.connect(on_thumb)
    cache.request_thumbnails(12)
    # WHEN page 2 is asked for
    cache.request(1)
    with qtbot.waitSignal(cache.page_ready, timeout=20_000):
        pass
    qtbot.waitUntil(lambda: len(thumbs) == 12, timeout=30_000)
    cache.wait()
    doc.close()
    # THEN it was rendered ahead of all but (at most) the thumbnail already being drawn
    assert events.index(("page", 1)) <= 1, events
    assert all(w <= THUMB_WIDTH for w in thumbs.values())


def test_the_cache_keeps_within_its_byte_budget(qtbot, tmp_path) -> None:
    big = np.full((6000, 5000), 255, np.uint8)
    big[100:200, 100:4000] = 0
    paths = []
    for i in range(4):
        paths.append(tmp_path / f"p{i}.png")
        Image.fromarray(big).save(paths[-1])
    frames = [Image.open(p) for p in paths]
    frames[0].save(tmp_path / "big.tiff", save_all=True, append_images=frames[1:])
    doc = open_document(tmp_path / "big.tiff")
    cache = PageCache()
    cache.reset(doc, 200)
    for i in range(4):
        with qtbot.waitSignal(cache.page_ready, timeout=20_000):
            cache.request(i)
    assert cache.cached_bytes <= PAGE_CACHE_BYTES
    assert cache.get(3) is not None  # the newest page is always kept
    cache.wait()
    doc.close()


@pytest.mark.parametrize("kind", ["pdf", "image"])
def test_thumbnails_are_rendered_small(qtbot, tmp_path, kind) -> None:
    if kind == "pdf":
        import pymupdf

        pdf = pymupdf.open()
        pdf.new_page(width=612, height=792).insert_text((72, 72), "BP 128/82")
        pdf.save(str(tmp_path / "n.pdf"))
        doc = open_document(tmp_path / "n.pdf")
    else:
        doc = open_document(_tiff(tmp_path / "n.tiff", 1, (2550, 3300)))
    arr = doc.render_thumbnail(0, THUMB_WIDTH)
    assert arr.shape[1] <= THUMB_WIDTH and arr.ndim == 3
    doc.close()
