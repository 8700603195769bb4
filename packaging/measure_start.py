"""Start time of the installed app: launch to first page shown, median of N runs.

``python3 packaging/measure_start.py [--binary /usr/bin/notelasso] [--document PDF] [--runs 5]``
runs the binary offscreen with ``--demo-quit`` (it prints "first page shown" as the page appears)
and times each run from launch to that line. Each run gets fresh data and config folders.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def first_page_seconds(binary: str, document: Path) -> float:
    """Seconds from launching ``binary`` on ``document`` to its "first page shown" line."""
    with tempfile.TemporaryDirectory(prefix="notelasso-start-") as tmp:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_DATA_HOME": f"{tmp}/data"}
        env["XDG_CONFIG_HOME"] = f"{tmp}/config"
        t0 = time.perf_counter()
        proc = subprocess.Popen([binary, str(document), "--demo-quit"], env=env, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            if "first page shown" in line:
                elapsed = time.perf_counter() - t0
                break
        else:
            raise SystemExit(f"{binary} exited ({proc.wait()}) without showing a page")
        proc.wait(timeout=60)
        return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="/usr/bin/notelasso")
    parser.add_argument("--document", type=Path, default=ROOT / "resources" / "samples" / "clinical-note.pdf")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    times = [first_page_seconds(args.binary, args.document) for _ in range(args.runs)]
    print("runs:", " ".join(f"{t:.2f}" for t in times), "s")
    print(f"launch -> first page shown: median {statistics.median(times):.2f} s over {len(times)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
