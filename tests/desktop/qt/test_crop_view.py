"""The crop above the editor stays readable: long lines wrap into rows."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.gui


def test_long_line_wraps_into_rows_and_fits(qtbot) -> None:
    from PySide6.QtGui import QColor, QPixmap

    from desktop.qt.crop_preview import wrap_crop

    line = QPixmap(1600, 60)  # a lassoed line at 200 dpi
    line.fill(QColor("white"))
    out = wrap_crop(line, 340, 160)
    assert out.width() <= 340 and out.height() <= 160
    assert out.height() > 60  # several rows, each larger than one row of 340 px would allow (~13 px)
    word = QPixmap(120, 40)
    word.fill(QColor("white"))
    small = wrap_crop(word, 340, 160)
    assert (small.width(), small.height()) == (240, 80)  # one row, at most 2x
