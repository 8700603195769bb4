"""``notelasso [FILE]`` and ``python -m desktop [FILE]``."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from desktop.app import build_app

    app, window = build_app(sys.argv[1:] if argv is None else argv)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
