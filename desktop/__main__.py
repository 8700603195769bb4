"""``notelasso [FILE]`` and ``python -m desktop [FILE]``.

A launch with a file while a NoteLasso window is running hands the file to that window and exits.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from desktop.app import build_app, forward_to_running

    args = sys.argv[1:] if argv is None else argv
    if forward_to_running(args):
        return 0
    app, window = build_app(args, single_instance=True)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
