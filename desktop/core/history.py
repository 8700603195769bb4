"""Undoable operations on a review session. No Qt: the shell's QUndoCommands call session.do/undo/redo.

Operations act on any :class:`RegionEditor` (the review session is one); this module does not
import the session, so the session can import it without an import circle.

Each region operation keeps snapshots of the region it touches: ``before`` (taken when first
applied) and ``after`` (taken when it is undone). Undo puts ``before`` back; redo puts
``after`` back, so a region re-read after a reshape comes back with its new text on redo,
without another recognition. Operations serialise to JSON so history survives a restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from desktop.core.regions import Polygon, Region, RegionStatus, as_polygon, as_rotation, new_region_id
from inference.errors import InputError
from inference.geometry import Point


class RegionEditor(Protocol):
    """What operations need of a session: its plain region changes, which record no history."""

    def get(self, region_id: str) -> Region | None: ...

    def put_snapshot(self, region_id: str, snapshot: Region | None) -> None: ...

    def add_region(
        self, page: int, polygon: Sequence[Point], *, region_id: str | None = None, rotation: int = 0
    ) -> Region: ...

    def remove_region(self, region_id: str) -> Region: ...

    def set_text(self, region_id: str, text: str) -> Region: ...

    def set_status(self, region_id: str, status: RegionStatus | str) -> Region: ...

    def set_polygon(self, region_id: str, polygon: Sequence[Point]) -> Region: ...

    def set_rank(self, region_id: str, rank: float | None) -> Region: ...


class Operation:
    """Something a person did that can be undone. Subclasses register by ``kind``."""

    kind: ClassVar[str] = ""
    registry: ClassVar[dict[str, type[Operation]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            Operation.registry[cls.kind] = cls

    @property
    def label(self) -> str:
        raise NotImplementedError

    def apply(self, session: RegionEditor) -> None:
        raise NotImplementedError

    def revert(self, session: RegionEditor) -> None:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Operation:
        try:
            cls = Operation.registry[d["kind"]]
        except KeyError as exc:
            raise InputError("Unknown operation in the saved undo history.") from exc
        return cls._from_dict(d)

    @classmethod
    def _from_dict(cls, d: dict[str, Any]) -> Operation:
        raise NotImplementedError


def _snap(r: Region | None) -> dict[str, Any] | None:
    return None if r is None else r.to_dict()


def _unsnap(d: dict[str, Any] | None) -> Region | None:
    return None if d is None else Region.from_dict(d)


@dataclass
class RegionOperation(Operation):
    """An operation on one region, undone and redone by putting snapshots back."""

    region_id: str
    before: Region | None = None
    after: Region | None = None
    is_done_once: bool = False

    def apply(self, session: RegionEditor) -> None:
        if self.is_done_once:
            session.put_snapshot(self.region_id, self.after)
            return
        self.before = session.get(self.region_id)
        self._first_apply(session)
        self.after = session.get(self.region_id)
        self.is_done_once = True

    def revert(self, session: RegionEditor) -> None:
        self.after = session.get(self.region_id)  # includes what happened since (a re-read)
        session.put_snapshot(self.region_id, self.before)

    def _first_apply(self, session: RegionEditor) -> None:
        raise NotImplementedError

    def _params(self) -> dict[str, Any]:
        return {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "region_id": self.region_id,
            "before": _snap(self.before),
            "after": _snap(self.after),
            "is_done_once": self.is_done_once,
            **self._params(),
        }

    @classmethod
    def _from_dict(cls, d: dict[str, Any]) -> Operation:
        params = {k: v for k, v in d.items() if k not in ("kind", "before", "after")}
        op = cls(**params)
        op.before, op.after = _unsnap(d.get("before")), _unsnap(d.get("after"))
        return op


@dataclass
class AddRegion(RegionOperation):
    kind: ClassVar[str] = "add_region"
    page: int = 0
    polygon: Polygon = ()
    rotation: int = 0

    @classmethod
    def new(cls, page: int, polygon: Sequence[Point], region_id: str | None = None, rotation: int = 0) -> AddRegion:
        return cls(
            region_id=region_id or new_region_id(),
            page=page,
            polygon=as_polygon(polygon),
            rotation=as_rotation(rotation),
        )

    @property
    def label(self) -> str:
        return "Add region"

    def _first_apply(self, session: RegionEditor) -> None:
        session.add_region(self.page, self.polygon, region_id=self.region_id, rotation=self.rotation)

    def _params(self) -> dict[str, Any]:
        return {"page": self.page, "polygon": [list(p) for p in self.polygon], "rotation": self.rotation}

    def __post_init__(self) -> None:
        self.polygon = as_polygon(self.polygon)


@dataclass
class RemoveRegion(RegionOperation):
    kind: ClassVar[str] = "remove_region"

    @property
    def label(self) -> str:
        return "Delete region"

    def _first_apply(self, session: RegionEditor) -> None:
        session.remove_region(self.region_id)


@dataclass
class SetText(RegionOperation):
    kind: ClassVar[str] = "set_text"
    text: str = ""

    @property
    def label(self) -> str:
        return "Edit text"

    def _first_apply(self, session: RegionEditor) -> None:
        session.set_text(self.region_id, self.text)

    def _params(self) -> dict[str, Any]:
        return {"text": self.text}


@dataclass
class SetStatus(RegionOperation):
    kind: ClassVar[str] = "set_status"
    status: str = RegionStatus.VERIFIED.value

    def __post_init__(self) -> None:
        self.status = RegionStatus(self.status).value

    @property
    def label(self) -> str:
        return "Mark verified" if self.status == RegionStatus.VERIFIED.value else f"Mark {self.status}"

    def _first_apply(self, session: RegionEditor) -> None:
        session.set_status(self.region_id, RegionStatus(self.status))

    def _params(self) -> dict[str, Any]:
        return {"status": self.status}


@dataclass
class SetPolygon(RegionOperation):
    kind: ClassVar[str] = "set_polygon"
    polygon: Polygon = ()

    def __post_init__(self) -> None:
        self.polygon = as_polygon(self.polygon)

    @property
    def label(self) -> str:
        return "Reshape region"

    def _first_apply(self, session: RegionEditor) -> None:
        session.set_polygon(self.region_id, self.polygon)

    def _params(self) -> dict[str, Any]:
        return {"polygon": [list(p) for p in self.polygon]}


@dataclass
class SetOrder(Operation):
    """The reviewer's order of a page's regions: ``after`` maps region ids to their new ranks,
    ``before`` to the ranks they had (None: reading order). Only ranks change; undo puts them back."""

    kind: ClassVar[str] = "set_order"
    after: dict[str, float | None] = field(default_factory=dict)
    before: dict[str, float | None] = field(default_factory=dict)
    text: str = "Move region"

    @classmethod
    def new(cls, session: RegionEditor, ranks: dict[str, float], text: str) -> SetOrder:
        """The step that gives each region of ``ranks`` its new rank (``before`` read from ``session``)."""
        before = {rid: r.rank for rid in ranks if (r := session.get(rid)) is not None}
        return cls(after={rid: ranks[rid] for rid in before}, before=before, text=text)

    @property
    def label(self) -> str:
        return self.text

    def _put(self, session: RegionEditor, ranks: dict[str, float | None]) -> None:
        for rid, rank in ranks.items():
            if session.get(rid) is not None:  # a region removed meanwhile has no place to keep
                session.set_rank(rid, rank)

    def apply(self, session: RegionEditor) -> None:
        self._put(session, self.after)

    def revert(self, session: RegionEditor) -> None:
        self._put(session, self.before)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "after": self.after, "before": self.before}

    @classmethod
    def _from_dict(cls, d: dict[str, Any]) -> Operation:
        def ranks(value: Any) -> dict[str, float | None]:
            return {str(k): None if v is None else float(v) for k, v in dict(value).items()}

        return cls(after=ranks(d["after"]), before=ranks(d["before"]), text=str(d.get("text", "Move region")))


@dataclass
class Batch(Operation):
    """Several operations undone and redone as one (e.g. delete a selection)."""

    kind: ClassVar[str] = "batch"
    ops: list[Operation] = field(default_factory=list)
    text: str = "Edit"

    @property
    def label(self) -> str:
        return self.text

    def apply(self, session: RegionEditor) -> None:
        for op in self.ops:
            op.apply(session)

    def revert(self, session: RegionEditor) -> None:
        for op in reversed(self.ops):
            op.revert(session)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "ops": [op.to_dict() for op in self.ops]}

    @classmethod
    def _from_dict(cls, d: dict[str, Any]) -> Operation:
        return cls(ops=[Operation.from_dict(o) for o in d.get("ops", [])], text=d.get("text", "Edit"))


__all__ = [
    "AddRegion",
    "Batch",
    "Operation",
    "RegionEditor",
    "RegionOperation",
    "RemoveRegion",
    "SetOrder",
    "SetPolygon",
    "SetStatus",
    "SetText",
]
