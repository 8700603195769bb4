"""``notelasso [FILE]`` and ``python -m desktop [FILE]``; ``notelasso batch IN... --out DIR`` reads a backlog.

A launch with a file while a NoteLasso window is running hands the file to that window and exits.
"""

from __future__ import annotations

import logging
import os
import sys


def main(argv: list[str] | None = None) -> int:
    from desktop.app import build_app, forward_to_running

    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["batch"]:
        from desktop.batch.cli import main as batch_main

        return batch_main(args[1:])
    if forward_to_running(args):
        return 0
    app, window = build_app(args, single_instance=True)
    window.show()
    code = app.exec()
    from desktop.qt.workers import finish_jobs

    if not finish_jobs():
        # A job still runs (a hung back end): the review is saved as the window closed, and the
        # interpreter's shutdown under a running job would crash, so leave without it.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
