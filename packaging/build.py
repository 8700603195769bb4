"""Build the one-folder bundle and the Debian package: ``python3 packaging/build.py`` (``make package``).

Steps, each in ``packaging/build/`` (ignored by git): a build venv with the app's runtime
dependencies, tritonclient[grpc] and PyInstaller (never the project's .venv); the icons rendered
from resources/icons/notelasso.svg; the PyInstaller bundle (packaging/notelasso.spec); the .deb
tree under /opt/notelasso with /usr/bin/notelasso, the .desktop entry, icons and AppStream
metadata; ``dpkg-deb --build`` into ``dist/notelasso_<version>_amd64.deb``. Prints sizes and times.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import trim_icu  # packaging/, next to this script

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "packaging"
BUILD = HERE / "build"
VENV = BUILD / "venv"
DIST = ROOT / "dist"
APP_ID = "org.notelasso.NoteLasso"
BUILD_REQUIREMENTS = ("pyinstaller>=6.10,<7", "tritonclient[grpc]>=2.40")
# What the bundle needs from Debian besides the libraries the spec leaves out (packaging/system_libs.py,
# whose packages are added at build time): the C library (the interpreter needs glibc 2.35: Ubuntu 22.04
# or newer, Debian 12), GL and xcb (PyInstaller never bundles them), Qt's xcb platform plugin's
# libraries as `make run` installs them, a font, and the word lists of desktop/core/lexicon.py.
DEPENDS = (
    "libc6 (>= 2.35)",
    "libxcb1",
    "libxcb-cursor0",
    "libxkbcommon-x11-0",
    "libxcb-icccm4",
    "libxcb-keysyms1",
    "libxcb-image0",
    "libxcb-render-util0",
    "libxcb-randr0",
    "libxcb-shape0",
    "libxcb-xinerama0",
    "libegl1",
    "libgl1",
    "libfontconfig1",
    "libdbus-1-3",
    "fonts-dejavu-core",
    "wamerican",
    "hunspell-en-med",
    "hunspell-en-us",
)
# A plugin that loads only where its libraries are (PyInstaller never bundles them; system_libs.py): Qt's
# GTK platform theme (native dialogs on GNOME).
RECOMMENDS = ("libgtk-3-0",)
# Binaries stripped of their symbols: the interpreter's own, and the wheels' modules that ship
# theirs (ml_dtypes 25 -> 1.5 MB, rapidjson 7 -> 0.8 MB, PyMuPDF's and Pillow's bindings, ICU's code),
# each checked to load and work stripped. Not the libraries auditwheel patched (numpy.libs, pillow.libs, ...): strip
# breaks them ("ELF load command ... not page-aligned").
STRIP_GLOBS = (
    "libpython3*.so*",
    "python3*/lib-dynload/*.so",
    "ml_dtypes/_ml_dtypes_ext*.so",
    "rapidjson*.so",
    "pymupdf/_mupdf.so",
    "pymupdf/_extra.so",
    "pymupdf/libmupdfcpp.so*",
    "PIL/_imaging.cpython*.so",
    "PIL/_imagingft.cpython*.so",
    "PySide6/Qt/lib/libicui18n.so.*",
    "PySide6/Qt/lib/libicuuc.so.*",
)
# Qt parts the app never loads: translations of Qt's own dialogs, embedded-display platforms.
PRUNE_GLOBS = (
    "PySide6/Qt/translations",
    "PySide6/Qt/plugins/egldeviceintegrations",
    "PySide6/Qt/plugins/platforms/libqeglfs.so",
    "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
    "PySide6/Qt/plugins/platforms/libqminimalegl.so",
    "PySide6/Qt/plugins/platforms/libqvnc.so",
    "PySide6/Qt/plugins/generic",
    "PySide6/Qt/plugins/platforms/libqvkkhrdisplay.so",
    # QtNetwork is there for the local socket that hands a file to the running window: no TLS, no
    # network-state plugins.
    "PySide6/Qt/plugins/tls",
    "PySide6/Qt/plugins/networkinformation",
    "PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6",
    "PySide6/Qt/lib/libQt6EglFsKmsSupport.so.6",
    # Qt's Wayland platform (2.5 MB with OpenGL, which only it links): on a Wayland session Qt runs
    # through XWayland, as it did wherever the Wayland client libraries were missing.
    "PySide6/Qt/plugins/platforms/libqwayland*.so",
    "PySide6/Qt/plugins/wayland-*",
    "PySide6/Qt/lib/libQt6Wayland*.so.6",
    "PySide6/Qt/lib/libQt6WlShellIntegration.so.6",
    "PySide6/Qt/lib/libQt6OpenGL.so.6",
    # Qt's image plugins: the app hands Qt decoded pixels (Pillow and MuPDF read the files) and SVG icons
    # only, so the SVG plugin is the one kept.
    "PySide6/Qt/plugins/imageformats/libq[!s]*.so",
)


def run(*cmd: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, env=env)


def project_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"])


def build_venv(python: str) -> Path:
    """The build venv, made again when pyproject.toml or the build requirements change."""
    stamp_text = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + "\n".join(BUILD_REQUIREMENTS).encode()
    ).hexdigest()
    stamp = VENV / ".built"
    py = VENV / "bin" / "python"
    if stamp.is_file() and stamp.read_text() == stamp_text and py.is_file():
        return py
    shutil.rmtree(VENV, ignore_errors=True)
    run(python, "-m", "venv", VENV)
    run(py, "-m", "pip", "install", "-q", "--upgrade", "pip")
    # Non-editable: the bundle takes the code from the checkout (the spec's pathex) and the version from here.
    run(py, "-m", "pip", "install", "-q", ROOT, *BUILD_REQUIREMENTS)
    stamp.write_text(stamp_text)
    return py


def bundle(py: Path) -> Path:
    """PyInstaller one-folder build, trimmed; returns the folder holding the ``notelasso`` executable."""
    run(
        py,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        BUILD / "dist",
        "--workpath",
        BUILD / "work",
        HERE / "notelasso.spec",
    )
    out = BUILD / "dist" / "notelasso"
    internal = out / "_internal"
    for pattern in PRUNE_GLOBS:
        for path in internal.glob(pattern):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    for pattern in STRIP_GLOBS:
        for path in internal.glob(pattern):
            run("strip", "--strip-unneeded", path)
    for path in internal.glob("PySide6/Qt/lib/libicudata.so.*"):  # Qt's own ICU: English and root data only
        before, after = trim_icu.trim(path)
        print(f"{path.name}: {before / 1e6:.1f} -> {after / 1e6:.1f} MB (packaging/trim_icu.py)")
    return out


def deb_tree(app: Path, py: Path, version: str) -> Path:
    """The package's file tree under packaging/build/deb."""
    root = BUILD / "deb"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(app, root / "opt" / "notelasso", symlinks=True)
    launcher = root / "usr" / "bin" / "notelasso"
    launcher.parent.mkdir(parents=True)
    # Relative, so the package works extracted under any root too (the tests do that); the bundle finds
    # its _internal folder from the resolved executable path.
    launcher.symlink_to(Path("..") / ".." / "opt" / "notelasso" / "notelasso")
    share = root / "usr" / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copy2(HERE / "linux" / "notelasso.desktop", share / "applications" / "notelasso.desktop")
    icons = share / "icons" / "hicolor"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run(py, HERE / "render_icons.py", icons, env=env)
    (icons / "scalable" / "apps").mkdir(parents=True)
    shutil.copy2(ROOT / "resources" / "icons" / "notelasso.svg", icons / "scalable" / "apps" / "notelasso.svg")
    meta = share / "metainfo" / f"{APP_ID}.metainfo.xml"
    meta.parent.mkdir(parents=True)
    text = (HERE / "linux" / f"{APP_ID}.metainfo.xml").read_text(encoding="utf-8")
    today = datetime.date.today().isoformat()
    meta.write_text(text.replace("@VERSION@", version).replace("@DATE@", today), encoding="utf-8")
    doc = share / "doc" / "notelasso"
    doc.mkdir(parents=True)
    shutil.copy2(ROOT / "resources" / "models" / "MODEL_CARD.md", doc / "MODEL_CARD.md")
    (doc / "copyright").write_text(
        "NoteLasso\nLicense: Apache-2.0\n\nThe bundle under /opt/notelasso also holds Python, Qt (LGPLv3, "
        "through PySide6), PyMuPDF (AGPLv3), ONNX Runtime, NumPy, Pillow and the Triton client, "
        "each under its own license.\n",
        encoding="utf-8",
    )
    depends = ", ".join(dict.fromkeys((*DEPENDS, *system_packages())))
    installed_kib = _size(root) // 1024
    control = root / "DEBIAN" / "control"
    control.parent.mkdir()
    control.write_text(
        f"Package: notelasso\nVersion: {version}\nArchitecture: amd64\nSection: science\nPriority: optional\n"
        f"Maintainer: NoteLasso maintainers <notelasso@localhost>\nInstalled-Size: {installed_kib}\n"
        f"Depends: {depends}\nRecommends: {', '.join(RECOMMENDS)}\nHomepage: https://notelasso.invalid\n"
        "Description: review transcriptions of scanned clinical notes\n"
        " Lasso a region of a scanned page, read it with the bundled PARSeq model and correct\n"
        " the text from the keyboard. Self-contained: Python, Qt and the model are under /opt/notelasso.\n",
        encoding="utf-8",
    )
    return root


def system_packages() -> list[str]:
    """The Debian packages of the system libraries the spec left out of the bundle (its report)."""
    report = json.loads((BUILD / "system-libs.json").read_text(encoding="utf-8"))
    for line in report["bundled_system"]:
        print(f"note: system library still bundled (not in packaging/system_libs.py): {line}")
    left = report["left_to_debian"]
    print(f"{len(left)} system libraries left to Debian: {', '.join(sorted(left))}")
    return sorted({package for package in left.values() if package})


def _size(folder: Path) -> int:
    """Bytes of the regular files under ``folder`` (links not followed)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="interpreter the build venv is made from")
    parser.add_argument(
        "--compress",
        choices=("xz", "zstd"),
        default="xz",
        help="the .deb's compression: xz (smallest, the release) or zstd (seconds instead of minutes: `make test`)",
    )
    parser.add_argument("--dist", type=Path, default=DIST, help="folder the .deb is written to (default dist/)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    version = project_version()
    py = build_venv(args.python)
    t1 = time.perf_counter()
    app = bundle(py)
    t2 = time.perf_counter()
    root = deb_tree(app, py, version)
    dist = args.dist.resolve()
    dist.mkdir(parents=True, exist_ok=True)
    deb = dist / f"notelasso_{version}_amd64.deb"
    # zstd at level 3 packs in seconds what xz -6 packs in minutes (about a quarter bigger); apt takes both.
    level = ["-z3"] if args.compress == "zstd" else []
    run(
        "dpkg-deb",
        f"-Z{args.compress}",
        *level,
        f"--threads-max={os.cpu_count() or 1}",
        "--root-owner-group",
        "--build",
        root,
        deb,
    )
    t3 = time.perf_counter()
    installed = _size(root / "opt") / 1e6 + _size(root / "usr") / 1e6
    print(f"built {deb}: {deb.stat().st_size / 1e6:.1f} MB, installed {installed:.1f} MB")
    print(f"build venv {t1 - t0:.0f} s, bundle {t2 - t1:.0f} s, package {t3 - t2:.0f} s, total {t3 - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
