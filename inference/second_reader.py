"""A second, independent reader of a region: PP-OCR's recogniser through rapidocr (ONNX Runtime).

It reads the same upright region crop PARSeq read with its own text detector and recogniser
(a different model trained on different data, sharing nothing with NoteLasso's layout or
model), so where the two readings differ a reviewer should look. docs/decisions/022-second-reader.md
says why this engine, with figures.

``open_second_reader()`` raises :class:`BackendUnavailableError` with an install hint when
rapidocr is missing; ``is_available()`` answers without raising. rapidocr ships its ONNX models
in its wheel: nothing is downloaded at run time. No Qt, no desktop imports here.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from inference.documents import to_gray
from inference.errors import BackendUnavailableError, InputError, NoteLassoError
from inference.geometry import Box, Point
from inference.preprocess import GrayImage, crop_polygon

log = logging.getLogger(__name__)

__all__ = [
    "SECOND_READER_HINT",
    "SECOND_READER_NAME",
    "SecondReader",
    "SecondReaderProcess",
    "SecondReading",
    "SecondWord",
    "is_available",
    "open_second_reader",
]

SECOND_READER_NAME = "PP-OCRv6"
SECOND_READER_HINT = "pip install 'notelasso[second]' (rapidocr, with its models)"
NICE = 19  # the reading process's CPU priority: the lowest, so first readings get the cores


@dataclass(frozen=True, slots=True)
class SecondWord:
    text: str
    confidence: float  # the line's score from the second reader (0..1)
    box: Box  # crop pixels: x0, y0, x1, y1


@dataclass(frozen=True, slots=True)
class SecondReading:
    words: tuple[SecondWord, ...]
    engine: str = SECOND_READER_NAME
    ms: float = field(default=0.0, compare=False)

    @property
    def texts(self) -> list[str]:
        return [w.text for w in self.words]


class SecondReader(Protocol):
    name: str

    def read(self, image: GrayImage) -> SecondReading: ...

    def read_region(self, page: npt.NDArray[np.uint8], polygon: Sequence[Point], rotation: int = 0) -> SecondReading:
        """The region ``polygon`` of ``page`` (gray or RGB), cut as PARSeq cuts it, read upright."""
        ...

    def close(self) -> None: ...


def is_available() -> tuple[bool, str]:
    """Whether the second reader can run here, and what to install when it cannot."""
    try:
        import rapidocr  # noqa: F401
    except ImportError:
        return False, SECOND_READER_HINT
    return True, ""


def open_second_reader(*, threads: int = 1, separate_process: bool = False) -> SecondReader:
    """The second reader, its models loaded; ``threads`` ONNX Runtime threads (1 leaves PARSeq a core).

    ``separate_process``: read in a child process at the lowest CPU priority (what the app does):
    its Python work then never holds the app's GIL, so it cannot hold up a first reading."""
    ok, hint = is_available()
    if not ok:
        raise BackendUnavailableError("The second reader (PP-OCR) is not installed.", hint=hint)
    if separate_process:
        return SecondReaderProcess(threads=threads)
    return RapidOcrReader(threads=threads)


class RapidOcrReader:
    """PP-OCRv6 small detection and recognition of a gray region crop."""

    name = SECOND_READER_NAME

    def __init__(self, *, threads: int = 1) -> None:
        from rapidocr import RapidOCR

        params = {
            "Global.log_level": "error",
            "Global.use_cls": False,
            # the crop's longer side at most 960 px for detection: rapidocr's default scales the
            # shorter side up to 736 px, ten times the work on a one-line region (decision 022)
            "Det.limit_type": "max",
            "Det.limit_side_len": 960,
            "EngineConfig.onnxruntime.intra_op_num_threads": max(1, threads),
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        try:
            self._engine: Any = RapidOCR(params=params)
        except Exception as exc:  # a broken install (missing model file): say so, once, here
            message = "The second reader (PP-OCR) could not start."
            raise BackendUnavailableError(message, hint=SECOND_READER_HINT) from exc

    def read(self, image: GrayImage) -> SecondReading:
        """Words with boxes (crop pixels) and confidences, in reading order."""
        if image.ndim != 2 or image.size == 0:
            raise InputError("The second reader expects a gray, non-empty image.")
        t0 = time.perf_counter()
        bgr = np.ascontiguousarray(np.repeat(image[:, :, None], 3, axis=2))  # gray to 3-channel BGR
        # every flag passed on every call: rapidocr keeps the last call's flags
        out = self._engine(bgr, use_det=True, use_cls=False, use_rec=True, return_word_box=False)
        boxes = [] if out.boxes is None else [np.asarray(b, dtype=np.float64) for b in out.boxes]
        texts, scores = list(out.txts or ()), list(out.scores or ())
        words: list[SecondWord] = []
        for quad, text, score in _reading_order(boxes, texts, scores):
            x0, y0 = np.floor(quad.min(axis=0)).astype(int)
            x1, y1 = np.ceil(quad.max(axis=0)).astype(int)
            words.extend(_split_line(text, score, (int(x0), int(y0), int(x1), int(y1))))
        return SecondReading(tuple(words), ms=(time.perf_counter() - t0) * 1e3)

    def read_region(self, page: npt.NDArray[np.uint8], polygon: Sequence[Point], rotation: int = 0) -> SecondReading:
        return self.read(crop_polygon(to_gray(page), polygon, rotation=rotation).image)

    def close(self) -> None:
        self._engine = None


class SecondReaderProcess:
    """A :class:`RapidOcrReader` in a child process (``spawn``), niced to the lowest priority.

    ``read`` sends the crop through a pipe and waits for the words; the calling thread releases
    the GIL while it waits. Errors in the child come back as :class:`NoteLassoError` subclasses."""

    name = SECOND_READER_NAME

    def __init__(self, *, threads: int = 1, nice: int = NICE) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(
            target=_serve, args=(child, threads, nice), daemon=True, name="notelasso-second-reader"
        )
        self._held = False
        self._proc.start()
        child.close()
        self._answer()  # "ready", or the child's error raised here

    def read(self, image: GrayImage) -> SecondReading:
        if image.ndim != 2 or image.size == 0:
            raise InputError("The second reader expects a gray, non-empty image.")
        return self._ask(np.ascontiguousarray(image))

    def read_region(self, page: npt.NDArray[np.uint8], polygon: Sequence[Point], rotation: int = 0) -> SecondReading:
        """Cut and read in the child: this process only sends the pixels."""
        return self._ask((np.ascontiguousarray(page), [tuple(p) for p in polygon], rotation))

    def _ask(self, message: object) -> SecondReading:
        try:
            self._conn.send(message)
        except (OSError, ValueError) as exc:
            raise BackendUnavailableError("The second reader has stopped.", hint=SECOND_READER_HINT) from exc
        reading = self._answer()
        assert isinstance(reading, SecondReading)
        return reading

    def _answer(self) -> object:
        try:
            kind, payload = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise BackendUnavailableError("The second reader has stopped.", hint=SECOND_READER_HINT) from exc
        if kind == "error":
            name, message, hint = payload
            raise (BackendUnavailableError if name == "BackendUnavailableError" else InputError)(message, hint=hint)
        return payload

    def hold(self, held: bool) -> None:
        """Stop the child where it is (``True``) or let it go on (``False``): while a first
        reading runs, the second takes no CPU time at all. POSIX only; elsewhere nothing happens."""
        if held == self._held or self._proc.pid is None or not hasattr(signal, "SIGSTOP"):
            return
        with contextlib.suppress(OSError):
            os.kill(self._proc.pid, signal.SIGSTOP if held else signal.SIGCONT)
            self._held = held

    def close(self) -> None:
        self.hold(False)
        with contextlib.suppress(OSError, ValueError):
            self._conn.send(None)
        self._proc.join(2)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(2)
        self._conn.close()


def _serve(conn: Connection, threads: int, nice: int) -> None:
    """The child process: open the reader, then read each crop sent until ``None`` or the pipe closes."""
    with contextlib.suppress(AttributeError, OSError):  # not allowed or not POSIX: normal priority
        os.nice(nice)
    try:
        reader = RapidOcrReader(threads=threads)
    except NoteLassoError as exc:
        conn.send(("error", (type(exc).__name__, exc.user_message, exc.hint)))
        return
    conn.send(("ready", None))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        try:
            if isinstance(message, tuple):
                page, polygon, rotation = message
                conn.send(("ok", reader.read_region(page, polygon, rotation)))
            else:
                conn.send(("ok", reader.read(message)))
        except NoteLassoError as exc:
            conn.send(("error", (type(exc).__name__, exc.user_message, exc.hint)))
        except Exception as exc:  # noqa: BLE001 - reported to the app as an error, never lost
            conn.send(("error", ("InputError", f"The second reader failed ({type(exc).__name__}).", None)))


def _reading_order(
    boxes: list[np.ndarray], texts: list[str], scores: list[float]
) -> list[tuple[np.ndarray, str, float]]:
    """Detected lines in reading order: rows by vertical overlap, left to right within a row."""
    items = sorted(zip(boxes, texts, scores, strict=False), key=lambda it: float(it[0][:, 1].mean()))
    rows: list[list[tuple[np.ndarray, str, float]]] = []
    for item in items:
        cy, h = float(item[0][:, 1].mean()), float(np.ptp(item[0][:, 1]))
        if rows and abs(cy - float(np.mean([it[0][:, 1].mean() for it in rows[-1]]))) < 0.5 * max(h, 1.0):
            rows[-1].append(item)
        else:
            rows.append([item])
    return [it for row in rows for it in sorted(row, key=lambda it: float(it[0][:, 0].min()))]


def _split_line(text: str, score: float, box: Box) -> list[SecondWord]:
    """A line's reading cut at its spaces, each word given the share of the line box its characters take."""
    x0, y0, x1, y1 = box
    per_char = (x1 - x0) / max(1, len(text))
    out, pos = [], 0
    for word in text.split(" "):
        if word:
            a = x0 + round(pos * per_char)
            b = x0 + round((pos + len(word)) * per_char)
            out.append(SecondWord(word, score, (a, y0, max(a + 1, b), y1)))
        pos += len(word) + 1
    return out
