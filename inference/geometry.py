"""Geometry type aliases shared by every package: points in pixels and integer pixel boxes.

Points are floats (a lasso follows the mouse between pixels); boxes are whole pixels,
``(x0, y0, x1, y1)`` with ``x1``/``y1`` exclusive. Whose pixels (page, crop) each use says.
"""

from __future__ import annotations

Point = tuple[float, float]
Box = tuple[int, int, int, int]

__all__ = ["Box", "Point"]
