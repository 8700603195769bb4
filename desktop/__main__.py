"""``notelasso [FILE]`` and ``python -m desktop [FILE]``; ``notelasso batch IN... --out DIR`` reads a backlog.

A launch with a file while a NoteLasso window is running hands the file to that window and exits.
"""

from __future__ import annotations

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
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
