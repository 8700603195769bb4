"""Run the awkward-input corpus (tests/corpus.py) through every surface and report as a table.

Three surfaces, each judged against the case's expectation:

- core: ``open_document`` + ``render(0)`` + ``ReviewSession.open`` in this process;
- cli: ``notelasso-ocr page FILE --json`` in a child process (exit code, stdout is JSON or empty,
  stderr one clear line, no traceback; its own peak memory, VmHWM);
- window: the real main window opens the file (page shown, or the error told through its
  error hook; a password-protected file asks for the password).

``python -m tests.corpus_surfaces [--large]`` prints the table; the test suite runs the same code.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inference.documents import RENDER_MEMORY_BOUND, open_document
from inference.errors import NoteLassoError
from tests.corpus import CorpusCase, write_corpus

__all__ = ["CLI_MEMORY_BOUND", "Row", "check_cli", "check_core", "check_window", "format_table", "run_all"]

ROOT = Path(__file__).resolve().parents[1]
#: Peak resident memory allowed to ``notelasso-ocr page`` on any file of the corpus: the page
#: bound of inference.documents plus the interpreter, ONNX Runtime and the model (~400 MB).
CLI_MEMORY_BOUND = RENDER_MEMORY_BOUND + 600 * 2**20
CLI_TIMEOUT_S = 180.0
#: Runs notelasso-ocr and, on the way out, writes its own peak memory (VmHWM, which starts afresh
#: at exec, unlike the rusage of a child forked from a large test process) as a last stderr line.
_MEASURED_CLI = (
    "import atexit, re, runpy, sys\n"
    "def _peak():\n"
    "    hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())\n"
    "    sys.stderr.write(f'@@peak-kib {hwm.group(1) if hwm else 0}\\n')\n"
    "atexit.register(_peak)\n"
    "sys.argv = ['notelasso-ocr', *sys.argv[1:]]\n"
    "runpy.run_module('inference.cli', run_name='__main__')\n"
)


@dataclass(frozen=True, slots=True)
class Row:
    """One case on one surface: ``ok`` when it met the expectation; ``got`` says what happened."""

    case: str
    surface: str
    ok: bool
    got: str
    seconds: float
    peak_mb: float | None = None


def _timed(case: CorpusCase, surface: str, fn: Callable[[], tuple[bool, str, float | None]]) -> Row:
    t0 = time.perf_counter()
    try:
        ok, got, peak = fn()
    except Exception as exc:  # noqa: BLE001 - a surface that raises is a finding, reported in the table
        ok, got, peak = False, f"raised {type(exc).__name__}", None
    return Row(case.name, surface, ok, got, time.perf_counter() - t0, peak)


def check_core(case: CorpusCase, store: Path) -> Row:
    """Open, render page 1 and open its review in this process."""

    def run() -> tuple[bool, str, float | None]:
        from desktop.core.session import ReviewSession

        try:
            with open_document(case.path) as doc:
                pages = doc.page_count
                page = doc.render(0)
        except NoteLassoError as exc:
            if case.outcome == "refused" and case.error is not None and isinstance(exc, case.error):
                return bool(exc.user_message), f"refused: {exc.user_message}", None
            return False, f"{type(exc).__name__}: {exc.user_message}", None
        if case.outcome == "refused":
            return (
                False,
                f"opened and rendered {pages} page(s); expected {case.error.__name__ if case.error else '?'}",
                None,
            )
        h, w = page.shape[:2]
        has_ink = bool((np.asarray(page) < 128).any())
        white_paper = bool((np.asarray(page)[0, 0] > 200).all())
        session = ReviewSession.open(case.path, store_dir=store)
        session.close()
        ok = pages == case.page_count and (w, h) == case.page_size and has_ink and white_paper
        return ok, f"{pages} page(s), {w}x{h}, ink {'yes' if has_ink else 'no'}", None

    return _timed(case, "core", run)


def check_cli(case: CorpusCase) -> Row:
    """``notelasso-ocr page FILE --json`` in a child process, with its peak memory."""

    def run() -> tuple[bool, str, float | None]:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = subprocess.Popen([sys.executable, "-c", _MEASURED_CLI, "page", str(case.path), "--json"],
                                    stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=ROOT)  # fmt: skip
            deadline = time.monotonic() + CLI_TIMEOUT_S
            while True:
                pid, status = os.waitpid(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() > deadline:
                    proc.kill()
                    proc.wait()
                    return False, f"hung past {CLI_TIMEOUT_S:.0f} s", None
                time.sleep(0.05)
            rc = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        marks = [line for line in stderr.splitlines() if line.startswith("@@peak-kib ")]
        peak = int(marks[-1].split()[1]) / 1024 if marks else float("nan")  # KiB -> MiB
        stderr = "\n".join(line for line in stderr.splitlines() if not line.startswith("@@peak-kib "))
        clean = "Traceback" not in stderr and peak * 2**20 <= CLI_MEMORY_BOUND
        if case.outcome == "shown":
            try:
                json.loads(stdout)
                valid = True
            except ValueError:
                valid = False
            return rc == 0 and valid and clean, f"exit {rc}, {'JSON' if valid else 'not JSON'}", peak
        told = [line for line in stderr.splitlines() if "notelasso-ocr: error:" in line]
        ok = rc == case.exit_code and not stdout.strip() and len(told) == 1 and clean
        return ok, f"exit {rc}: {told[0][:70] if told else stderr.strip()[:70]}", peak

    return _timed(case, "cli", run)


def check_window(case: CorpusCase, window: object, wait: Callable[[Callable[[], bool], float], bool]) -> Row:
    """Open the case in the real main window (built by the caller) and see what a reviewer sees."""

    def run() -> tuple[bool, str, float | None]:
        w = window
        hooks = w.hooks  # type: ignore[attr-defined]
        hooks.errors.clear()
        hooks.password_prompts.clear()
        opened = w.open_path(case.path)  # type: ignore[attr-defined]
        if case.outcome == "shown":
            shown = opened and wait(lambda: w.view.has_page, 60.0)  # type: ignore[attr-defined]
            pages = w.documents.page_count  # type: ignore[attr-defined]
            ok = bool(shown) and pages == case.page_count and not hooks.errors
            return ok, f"page 1 of {pages} shown" if shown else f"not shown; errors {hooks.errors[:1]}", None
        if hooks.password_prompts and not opened:
            return True, "asked for the password", None
        if case.stage == "render" and opened:  # the document opens; its page is refused when drawn
            wait(lambda: bool(hooks.errors), 30.0)
        told = [message for _title, message, _hint in hooks.errors]
        ok = bool(told) and all("Traceback" not in m and "Unexpected error" not in m for m in told)
        return ok, f"told: {told[0][:70]}" if told else "nothing said", None

    return _timed(case, "window", run)


def format_table(rows: Sequence[Row]) -> str:
    """The report: one line per case and surface, failures marked."""
    head = f"{'case':<22}{'surface':<8}{'ok':<4}{'seconds':>8}{'peak MB':>9}  what happened"
    lines = [head, "-" * len(head)]
    for r in rows:
        peak = f"{r.peak_mb:9.0f}" if r.peak_mb is not None else f"{'':9}"
        lines.append(f"{r.case:<22}{r.surface:<8}{'yes' if r.ok else 'NO':<4}{r.seconds:8.2f}{peak}  {r.got}")
    failed = sum(not r.ok for r in rows)
    lines.append(f"{len(rows)} checks, {failed} failed; CLI memory bound {CLI_MEMORY_BOUND / 2**20:.0f} MB")
    return "\n".join(lines)


def run_all(folder: Path, *, large: bool, window: object | None = None,
            wait: Callable[[Callable[[], bool], float], bool] | None = None) -> list[Row]:  # fmt: skip
    """Write the corpus into ``folder`` and check every case on every surface (the window if given)."""
    cases = write_corpus(folder / "corpus", include_large=large)
    rows: list[Row] = []
    for case in cases:
        rows.append(check_core(case, folder / "store"))
        rows.append(check_cli(case))
        if window is not None and wait is not None:
            rows.append(check_window(case, window, wait))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the awkward-input corpus through core, CLI and window.")
    parser.add_argument("--large", action="store_true", help="include the 14000x14000 and 600 dpi cases")
    parser.add_argument("--no-window", action="store_true", help="core and CLI only")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        window, wait = (None, None) if args.no_window else _build_window(folder)
        rows = run_all(folder, large=args.large, window=window, wait=wait)
        if window is not None:
            window.close()  # type: ignore[attr-defined]
    print(format_table(rows))
    return 0 if all(r.ok for r in rows) else 1


class Hooks:
    """Records what the window would show in its modal dialogs (errors, password prompts)."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str, str | None]] = []
        self.password_prompts: list[tuple[str, bool]] = []

    def error(self, title: str, message: str, hint: str | None) -> None:
        self.errors.append((title, message, hint))

    def password(self, filename: str, is_retry: bool) -> str | None:
        self.password_prompts.append((filename, is_retry))
        return None


def _build_window(folder: Path) -> tuple[object, Callable[[Callable[[], bool], float], bool]]:
    from PySide6.QtWidgets import QApplication

    from desktop.app import build_app

    _app, window = build_app(["--settings-file", str(folder / "s.ini"), "--store-dir", str(folder / "store")])
    hooks = Hooks()
    window.error_hook = hooks.error
    window.password_hook = hooks.password
    window.hooks = hooks
    window.show()

    def wait(condition: Callable[[], bool], seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            QApplication.processEvents()
            if condition():
                return True
            time.sleep(0.01)
        return condition()

    return window, wait


if __name__ == "__main__":
    sys.exit(main())
