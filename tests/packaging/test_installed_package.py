"""The built .deb, extracted into a throwaway root, works as installed: version, a region read and
exported as a searchable PDF, reviews in the user's data folder, and a file opened through the
.desktop entry's Exec line.

The bundle is not built here (a minute or more): ``make test`` builds a test package while the rest of
the suite runs and then runs these tests with ``NOTELASSO_DEB`` naming it; a missing file there is a
failure, not a skip. Run alone, they take the newest ``notelasso_*_amd64.deb`` in dist/ or
packaging/build/ (``make package``), and skip, saying so, when there is none.
"""

from __future__ import annotations

import difflib
import json
import os
import shlex
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TRUTH = ROOT / "resources" / "samples" / "clinical-note.truth.json"
SAMPLE = ROOT / "resources" / "samples" / "clinical-note.pdf"
MIME_TYPES = {"application/pdf", "image/tiff", "image/png", "image/jpeg"}


def _built_deb() -> Path | None:
    """The package to test: ``NOTELASSO_DEB`` when set (``make test``; it must exist), else the newest built."""
    asked = os.environ.get("NOTELASSO_DEB")
    if asked:
        deb = Path(asked)
        if not deb.is_file():
            pytest.fail(f"NOTELASSO_DEB={asked}: no such package (its build's log: packaging/build/test-package.log)")
        return deb
    found = [
        deb
        for folder in (ROOT / "dist", ROOT / "packaging" / "build", ROOT / "packaging" / "build" / "test-dist")
        for deb in folder.glob("notelasso_*_amd64.deb")
    ]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's files extracted under a throwaway root (``dpkg-deb -x``)."""
    deb = _built_deb()
    if deb is None:
        pytest.skip("no notelasso_*_amd64.deb in dist/ or packaging/build/: run `make package` first")
    if shutil.which("dpkg-deb") is None:
        if os.environ.get("NOTELASSO_DEB"):
            pytest.fail("dpkg-deb is not installed")
        pytest.skip("dpkg-deb is not installed")
    root = tmp_path_factory.mktemp("root")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root


@pytest.fixture
def user_env(tmp_path: Path) -> dict[str, str]:
    """An offscreen session with its own data and config folders."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        HOME=str(tmp_path / "home"),
    )
    return env


def _files(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


def test_version_prints_app_and_model(installed: Path, user_env: dict[str, str]):
    out = subprocess.run(
        [str(installed / "usr" / "bin" / "notelasso"), "--version"],
        env=user_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert out.startswith("notelasso ")
    assert "notelasso-parseq" in out


def test_installed_app_reads_a_region_and_exports_a_searchable_pdf(
    installed: Path, user_env: dict[str, str], tmp_path: Path
):
    import pymupdf

    # GIVEN the installed app, a PDF outside the install folder, and a line of it whose text is known
    app_dir = installed / "opt" / "notelasso"
    before = _files(app_dir)
    document = tmp_path / "note.pdf"
    shutil.copy2(app_dir / "_internal" / "resources" / "samples" / "clinical-note.pdf", document)
    line = json.loads(TRUTH.read_text(encoding="utf-8"))["lines"][0]
    x0, y0, x1, y1 = line["box"]
    out = tmp_path / "searchable.pdf"
    # WHEN it starts offscreen on the PDF, reads that line and exports a searchable PDF
    proc = subprocess.run(
        [
            str(app_dir / "notelasso"),
            str(document),
            "--demo-region",
            f"{x0 - 8},{y0 - 8},{x1 + 8},{y1 + 8}",
            "--demo-export",
            str(out),
        ],
        env=user_env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    # THEN the PDF carries the line's text, the review is in the user's data folder, and the install
    # folder is as it was
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with pymupdf.open(out) as pdf:
        text = " ".join(page.get_text() for page in pdf).split()
    words = " ".join(text)
    assert difflib.SequenceMatcher(None, words.lower(), line["text"].lower()).ratio() > 0.7, words
    assert list((tmp_path / "data" / "notelasso" / "reviews").glob("*.sqlite"))
    assert _files(app_dir) == before


def test_desktop_entry_opens_a_file_through_its_exec_line(installed: Path, user_env: dict[str, str]):
    # GIVEN the installed .desktop entry, its MIME types and its Exec line
    entry = (installed / "usr" / "share" / "applications" / "notelasso.desktop").read_text(encoding="utf-8")
    keys = dict(line.split("=", 1) for line in entry.splitlines() if "=" in line)
    assert set(filter(None, keys["MimeType"].split(";"))) >= MIME_TYPES
    assert (installed / "usr" / "share" / "icons" / "hicolor" / "48x48" / "apps" / "notelasso.png").is_file()
    sample = installed / "opt" / "notelasso" / "_internal" / "resources" / "samples" / "clinical-note.pdf"
    # WHEN a file manager runs the Exec line for the sample (its command found on the package's PATH)
    argv = [str(sample) if arg == "%f" else arg for arg in shlex.split(keys["Exec"])]
    argv[0] = str(installed / "usr" / "bin" / argv[0])
    proc = subprocess.run([*argv, "--demo-quit"], env=user_env, capture_output=True, text=True, timeout=120)
    # THEN the app starts and shows the file's first page
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "first page shown" in proc.stdout


@pytest.mark.parametrize("suffix", [".tiff", ".png", ".jpg"])
def test_installed_app_opens_scanned_images(installed: Path, user_env: dict[str, str], tmp_path: Path, suffix: str):
    import pymupdf
    from PIL import Image

    # GIVEN the sample's first page as a scan in an image format (what the bundle's Pillow must read)
    with pymupdf.open(SAMPLE) as pdf:
        pix = pdf[0].get_pixmap(dpi=100, colorspace=pymupdf.csGRAY)
        page = Image.frombytes("L", (pix.width, pix.height), pix.samples)
    scan = tmp_path / f"scan{suffix}"
    page.save(scan, **({"compression": "tiff_lzw"} if suffix == ".tiff" else {}))
    # WHEN the installed app starts on it
    proc = subprocess.run(
        [str(installed / "usr" / "bin" / "notelasso"), str(scan), "--demo-quit"],
        env=user_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # THEN it shows the page, and quits cleanly
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "first page shown" in proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr


def test_installed_triton_back_end_has_its_client(installed: Path, user_env: dict[str, str], tmp_path: Path):
    # GIVEN the installed app and a Triton address where nothing listens
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # WHEN a batch read is sent there
    proc = subprocess.run(
        [
            str(installed / "usr" / "bin" / "notelasso"),
            "batch",
            str(SAMPLE),
            "--out",
            str(tmp_path / "out"),
            "--backend",
            "triton",
            "--url",
            f"127.0.0.1:{port}",
            "--timeout",
            "5",
        ],
        env=user_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # THEN the bundled client tried the server (not "not installed"), and the error says so
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "not installed" not in out, out
    assert "cannot be reached" in out, out
