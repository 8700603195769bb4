"""Entry point of the bundled app: the same as the ``notelasso`` command of a source install."""

from __future__ import annotations

import sys

from desktop.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
