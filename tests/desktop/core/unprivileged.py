"""Run a snippet of Python where file permissions hold, even when the tests run as root.

Root ignores a folder's read-only mode; ``setpriv`` drops the capabilities that let it, so a
read-only folder is read-only for the child as it is for staff.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from tests.desktop.core.conftest import ROOT

__all__ = ["run_where_permissions_hold"]


def run_where_permissions_hold(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (dedented) in a new interpreter with ``env`` added; root loses its override of modes.

    Skips the test when the tests run as root and ``setpriv`` is missing (the mode could not be tested).
    """
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: a read-only folder cannot be made read-only for root")
        prefix = [setpriv, "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search"]
    return subprocess.run(
        [*prefix, sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
