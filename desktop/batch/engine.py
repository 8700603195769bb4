"""The batch engine: read every page of many documents as line regions, one review per document.

No Qt. Each document is read by one worker, page after page: render, find the text lines
(:func:`inference.page_lines.find_page_lines`, the same finder as "Read whole page"), read them
all in shared batches (:meth:`inference.recognizer.Recognizer.recognize_many`), then commit the
page's regions, their readings, an audit entry and the batch mark in ONE transaction
(:mod:`desktop.core.batch_mark`). ``concurrency`` documents are in flight at once, so a remote
Triton server receives that many requests together and its dynamic batcher can fill.

Resumable and idempotent: a page counts only once its transaction commits, so a run killed at
any moment and started again reads the pages the mark lacks, and no region is ever written twice.
A review a person has worked on (regions without a batch mark, or an audit chain that moved
since the batch's last page) is never touched; neither is one open in a NoteLasso window.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.core.batch_mark import BatchMark, chain_head, read_mark, write_mark
from desktop.core.region_triage import document_years, is_doubtful, region_triage
from desktop.core.regions import Region, utc_now
from desktop.core.review import is_unreadable
from desktop.core.session import ReviewSession
from desktop.core.triage import DEFAULT_THRESHOLD
from inference.errors import (
    BackendUnavailableError,
    ExitCode,
    ModelMismatchError,
    NoteLassoError,
    RemoteInferenceError,
)

if TYPE_CHECKING:
    from inference.documents import Document
    from inference.recognizer import Recognizer, RegionResult

log = logging.getLogger(__name__)

__all__ = [
    "KILL_AFTER_ENV",
    "SUFFIXES",
    "BatchOptions",
    "BatchRun",
    "DocResult",
    "Summary",
    "doubtful_words",
    "find_inputs",
]

SUFFIXES = frozenset({".pdf", ".tif", ".tiff", ".png", ".jpg", ".jpeg"})
#: Test hook: after this many pages committed (by the whole run), the process kills itself with
#: SIGKILL, as a power cut or ``kill -9`` would; a resumed run must then read the rest exactly once.
KILL_AFTER_ENV = "NOTELASSO_BATCH_KILL_AFTER_PAGES"
#: Remote statuses worth waiting for: the server restarts, is overloaded or slow for a moment.
RETRYABLE = frozenset({"StatusCode.UNAVAILABLE", "StatusCode.RESOURCE_EXHAUSTED", "StatusCode.DEADLINE_EXCEEDED"})
#: MuPDF is not thread-safe: documents are opened, rendered and closed one at a time.
_MUPDF = threading.Lock()

# Outcomes of a document, as the summary names them.
READ, RESUMED, ALREADY, EDITED, BUSY, FAILED, STOPPED = (
    "read",
    "resumed",
    "already read",
    "left as edited",
    "open elsewhere",
    "failed",
    "stopped",
)


@dataclass
class DocResult:
    """What happened to one input file. ``reason``: words for the summary (no patient text)."""

    path: Path
    outcome: str = ""
    pages: int = 0
    pages_read: int = 0  # by this run
    regions: int = 0  # in the review, from the batch
    doubtful: int = 0  # regions that need a look
    doubtful_words: int = 0
    reason: str = ""
    exit_code: int = ExitCode.OK
    exports: list[Path] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """How to run: where reviews live, who reads, the review thresholds, the exports, the retries."""

    store_dir: Path | None = None
    user: str = ""
    dpi: int = 200
    triage_threshold: float = DEFAULT_THRESHOLD  # a region is doubtful when a word's triage score reaches it
    unreadable_below: float = 0.9
    concurrency: int = 1
    exports: tuple[str, ...] = ()
    out_dir: Path | None = None
    retry_s: float = 30.0  # how long to keep retrying a server that is UNAVAILABLE before stopping
    retry_first_s: float = 0.5


@dataclass
class Summary:
    """The run's result: one DocResult per input, and why the run stopped early (if it did)."""

    documents: list[DocResult]
    stopped: str = ""
    stop_code: int = ExitCode.OK
    seconds: float = 0.0
    retries: int = 0  # pages whose reading waited for the server and was tried again

    @property
    def pages_read(self) -> int:
        return sum(d.pages_read for d in self.documents)

    @property
    def exit_code(self) -> int:
        """By the README's table: a stop first (remote, back end, interrupt), then storage and export
        failures, then unreadable documents; 0 when every document was read or rightly left alone."""
        if self.stop_code:
            return self.stop_code
        codes = [d.exit_code for d in self.documents if d.exit_code]
        for code in (ExitCode.STORAGE, ExitCode.EXPORT, ExitCode.INTERNAL, ExitCode.DOCUMENT):
            if code in codes:
                return int(code)
        return int(codes[0]) if codes else int(ExitCode.OK)


def find_inputs(items: Iterable[str | Path]) -> tuple[list[Path], list[DocResult]]:
    """Files and folders (searched recursively, hidden entries skipped) -> the documents to read, in
    name order, and the inputs refused at once (missing, or not a PDF, TIFF, PNG or JPEG by name)."""
    found: list[Path] = []
    refused: list[DocResult] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and not any(s.startswith(".") for s in p.relative_to(path).parts)
            )
        elif path.exists():
            files = [path]
        else:
            refused.append(DocResult(path, FAILED, reason="not found", exit_code=ExitCode.DOCUMENT))
            continue
        for f in files:
            if f.suffix.lower() in SUFFIXES:
                found.append(f)
            else:
                why = f"not a PDF, TIFF, PNG or JPEG file ({f.suffix or 'no extension'})"
                refused.append(DocResult(f, FAILED, reason=why, exit_code=ExitCode.DOCUMENT))
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return unique, refused


class _StopError(Exception):
    """The run must stop (the server is gone, the back end broke, or it was interrupted)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message, self.code = message, code


class BatchRun:
    """One run over many documents with one recogniser (thread-safe; shared by the workers).

    ``on_progress(event, n)`` is called from workers: "found" (a document's pages, now known),
    "read" (one page committed), "skipped" (pages left as they are or read before) or "document"
    (one document done, whatever its outcome); it must be quick and thread-safe.
    """

    def __init__(
        self,
        recognizer: Recognizer,
        options: BatchOptions,
        *,
        on_progress: Callable[[str, int], None] = lambda _event, _pages: None,
    ) -> None:
        self.recognizer, self.options, self.on_progress = recognizer, options, on_progress
        self.engine = recognizer.backend.label
        self.model = f"{recognizer.spec.name} {recognizer.spec.version}"
        self._stop = threading.Event()
        self._stop_reason: _StopError | None = None
        self._lock = threading.Lock()
        self._committed = 0
        self.retries = 0
        kill = os.environ.get(KILL_AFTER_ENV, "")
        self._kill_after = int(kill) if kill.isdigit() else 0

    @property
    def is_stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self, message: str = "Interrupted.", code: int = ExitCode.INTERRUPTED) -> None:
        """Ask the workers to stop after the page each is on (that page is committed or not at all)."""
        with self._lock:
            if self._stop_reason is None:
                self._stop_reason = _StopError(message, code)
        self._stop.set()

    def run(self, documents: Sequence[Path], refused: Sequence[DocResult] = ()) -> Summary:
        """Read ``documents``; returns the summary (``refused`` inputs are listed first)."""
        t0 = time.perf_counter()
        results = [DocResult(p) for p in documents]
        names = _export_names(documents)
        workers = max(1, min(self.options.concurrency, len(documents) or 1))
        pool = ThreadPoolExecutor(workers, thread_name_prefix="batch")
        try:
            futures = [pool.submit(self._document, r, names[r.path]) for r in results]
            while not all(f.done() for f in futures):
                wait(futures, timeout=0.2)  # short, so Ctrl+C reaches this thread promptly
        except KeyboardInterrupt:
            self.stop()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        for r in results:
            if not r.outcome:
                r.outcome, r.reason = STOPPED, "not started: the run stopped"
        stop = self._stop_reason
        return Summary(
            [*refused, *results],
            stopped=stop.message if stop else "",
            stop_code=stop.code if stop else ExitCode.OK,
            seconds=time.perf_counter() - t0,
            retries=self.retries,
        )

    # -- one document ------------------------------------------------------------------------
    def _document(self, result: DocResult, export_stem: str) -> None:
        if self._stop.is_set():
            return
        try:
            self._read_document(result, export_stem)
        except _StopError as stop:
            self.stop(stop.message, stop.code)
            result.outcome, result.reason = STOPPED, "the run stopped while reading it; run again to continue"
        except NoteLassoError as exc:
            result.outcome, result.reason, result.exit_code = FAILED, exc.user_message, int(exc.exit_code)
        except Exception as exc:  # one broken document must not end the run
            log.error("unexpected failure on a document", exc_info=exc)
            result.outcome, result.reason = FAILED, f"unexpected error ({type(exc).__name__})"
            result.exit_code = ExitCode.INTERNAL
        finally:
            self.on_progress("document", 1)

    def _read_document(self, result: DocResult, export_stem: str) -> None:
        from inference.documents import PasswordRequiredError, open_document

        opts = self.options
        try:
            with _MUPDF:
                doc = open_document(result.path)
        except PasswordRequiredError:
            self.on_progress("found", 0)
            result.outcome, result.reason, result.exit_code = FAILED, "encrypted (needs a password)", ExitCode.DOCUMENT
            return
        except NoteLassoError:
            self.on_progress("found", 0)  # a document without pages to read
            raise
        try:
            result.pages = doc.page_count
            self.on_progress("found", doc.page_count)
            with ReviewSession.open(result.path, store_dir=opts.store_dir, user=opts.user or None, dpi=opts.dpi) as s:
                mark = self._claim(s, result)
                if mark is not None:
                    self._read_pages(doc, s, mark, result)
                if opts.exports and result.outcome in (READ, RESUMED, ALREADY):
                    self._export(s, doc, result, export_stem, only_missing=result.outcome == ALREADY)
        finally:
            with _MUPDF:
                doc.close()

    def _claim(self, session: ReviewSession, result: DocResult) -> BatchMark | None:
        """The mark to go on from, or None (outcome set) when this review must be left alone."""
        store = session.store
        if session.is_read_only:
            result.outcome, result.reason = BUSY, "open in a NoteLasso window (or its folder is read-only): left alone"
            self.on_progress("skipped", result.pages)
            return None
        mark = read_mark(store)
        if mark is None:
            if session.regions():
                result.outcome, result.reason = EDITED, "a person has already drawn regions in it: left as it is"
                self.on_progress("skipped", result.pages)
                return None
            return BatchMark(
                by=session.user,
                started=utc_now(),
                engine=self.engine,
                model=self.model,
                page_count=result.pages,
                head=chain_head(store),
            )
        result.regions, result.doubtful, result.doubtful_words = mark.regions, mark.doubtful, mark.doubtful_words
        if chain_head(store) != mark.head:
            result.outcome = EDITED
            result.reason = "changed in NoteLasso since the batch read it: left as it is"
            self.on_progress("skipped", result.pages)
            return None
        if mark.is_complete:
            result.outcome, result.reason = ALREADY, f"read before ({_day(mark.finished)}, {mark.model})"
            self.on_progress("skipped", result.pages)
            return None
        result.outcome = RESUMED if mark.pages else READ
        return mark

    def _read_pages(self, doc: Document, session: ReviewSession, mark: BatchMark, result: DocResult) -> None:
        from inference.page_lines import find_page_lines

        result.outcome = result.outcome or READ
        self.on_progress("skipped", len(set(mark.pages)))
        for index in range(doc.page_count):
            if index in mark.pages:
                continue
            if self._stop.is_set():
                result.outcome, result.reason = STOPPED, "the run stopped; run again to continue"
                return
            with _MUPDF:
                page = doc.render(index, dpi=session.dpi)
            lines = find_page_lines(page)
            readings = self._recognize(page, lines) if lines else []
            mark = self._commit(session, mark, index, lines, readings)
            result.pages_read += 1
            result.regions, result.doubtful, result.doubtful_words = mark.regions, mark.doubtful, mark.doubtful_words
            self._page_done()
        mark = replace(mark, finished=utc_now())
        write_mark(session.store, mark)

    def _commit(
        self,
        session: ReviewSession,
        mark: BatchMark,
        index: int,
        lines: Sequence[Sequence[tuple[float, float]]],
        readings: Sequence[RegionResult],
    ) -> BatchMark:
        """The page's regions, readings, an audit entry and the mark: one transaction, all or nothing."""
        opts = self.options
        with session.grouped():
            added: list[Region] = []
            for line, reading in zip(lines, readings, strict=True):
                region = session.add_region(index, line)
                read = session.apply_recognition(region.id, reading, engine=self.engine, model=self.model)
                added.append(read or region)
            years = document_years(added)  # the page's years: the document's later pages are not read yet
            doubtful = sum(
                is_doubtful(r, opts.triage_threshold, None, years) or is_unreadable(r, opts.unreadable_below)
                for r in added
            )
            words = sum(doubtful_words(r, opts.triage_threshold, opts.unreadable_below, years) for r in added)
            new = mark.with_page(index, regions=len(added), doubtful=doubtful, doubtful_words=words)
            head = session.store.audit(
                session.user, "batch_page", None, page=index, regions=len(added), engine=self.engine, model=self.model
            )
            new = replace(new, head=head)
            write_mark(session.store, new)
        return new

    def _page_done(self) -> None:
        with self._lock:
            self._committed += 1
            committed = self._committed
        self.on_progress("read", 1)
        if self._kill_after and committed >= self._kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    def _recognize(self, page: object, lines: list[list[tuple[float, float]]]) -> list[RegionResult]:
        """Read the page's lines; a server that is UNAVAILABLE is retried with growing pauses for
        ``retry_s`` seconds, then the run stops (its pages so far are kept)."""
        import numpy as np

        arr = np.asarray(page)
        delay, waited = self.options.retry_first_s, 0.0
        while True:
            try:
                return self.recognizer.recognize_many(arr, lines)
            except RemoteInferenceError as exc:
                if exc.status not in RETRYABLE or waited >= self.options.retry_s or self._stop.is_set():
                    raise _StopError(_gone(exc, waited), ExitCode.REMOTE) from exc
                log.info("server %s: retrying in %.1f s", exc.status, delay)
                with self._lock:
                    self.retries += 1
                self._stop.wait(delay)
                waited += delay
                delay = min(delay * 2, 8.0)
            except (BackendUnavailableError, ModelMismatchError) as exc:
                raise _StopError(exc.user_message, int(exc.exit_code)) from exc

    def _export(
        self, session: ReviewSession, doc: Document, result: DocResult, stem: str, *, only_missing: bool
    ) -> None:
        """Write the asked exports to ``out_dir`` (``only_missing``: those not there yet, after a resume)."""
        from desktop.core.export import FORMATS, export_session

        opts = self.options
        assert opts.out_dir is not None
        for fmt in opts.exports:
            target = opts.out_dir / f"{stem}{'.page' if fmt == 'page' else ''}{FORMATS[fmt][1]}"
            if only_missing and (target.exists() or target.with_name(f"{target.stem}-p0001{target.suffix}").exists()):
                continue
            try:
                with _MUPDF:
                    result.exports += export_session(
                        session, fmt, target, document=doc, unreadable_below=opts.unreadable_below
                    )
            except NoteLassoError as exc:
                result.reason = f"{fmt} export failed: {exc.user_message}"
                result.exit_code = int(exc.exit_code)


def doubtful_words(region: Region, threshold: float, floor: float, years: Sequence[int] = ()) -> int:
    """Words of the reading whose triage score reaches ``threshold`` (decision 025; ``years``: the
    document's, for the date check); every word of an unreadable region (below ``floor``, see
    :func:`desktop.core.review.is_unreadable`)."""
    if is_unreadable(region, floor):
        return len(region.model_text.split())
    return sum(w.score >= threshold for w in region_triage(region, None, years))


def _gone(exc: RemoteInferenceError, waited: float) -> str:
    if exc.status in RETRYABLE:
        return f"{exc.user_message} Stopped after retrying for {waited:.0f} s; the pages read so far are kept."
    return f"{exc.user_message} The pages read so far are kept."


def _day(iso: str) -> str:
    return iso[:16].replace("T", " ") if iso else "earlier"


def _export_names(documents: Sequence[Path]) -> dict[Path, str]:
    """Each document's export file stem: its own, or with its folder's name where two share a stem."""
    stems: dict[str, int] = {}
    for p in documents:
        stems[p.stem] = stems.get(p.stem, 0) + 1
    return {p: p.stem if stems[p.stem] == 1 else f"{p.parent.name}-{p.stem}" for p in documents}
