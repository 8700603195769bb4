"""The review session, its storage and export. No Qt here: testable without a screen."""

from __future__ import annotations

from desktop.core.export import FORMATS, ExportError, export_session
from desktop.core.history import AddRegion, Batch, Operation, RemoveRegion, SetPolygon, SetStatus, SetText
from desktop.core.opening import Opening
from desktop.core.regions import Region, RegionStatus, sort_regions
from desktop.core.session import ReviewSession
from desktop.core.storage import DamagedSessionError, SessionStore, StorageError

__all__ = [
    "FORMATS",
    "AddRegion",
    "Batch",
    "DamagedSessionError",
    "ExportError",
    "Opening",
    "Operation",
    "Region",
    "RegionStatus",
    "RemoveRegion",
    "ReviewSession",
    "SessionStore",
    "SetPolygon",
    "SetStatus",
    "SetText",
    "StorageError",
    "export_session",
    "sort_regions",
]
