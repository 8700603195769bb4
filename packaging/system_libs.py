"""System libraries the bundle leaves to Debian (decision 016, amended): soname -> the package that holds it.

PyInstaller copies every shared library the bundled modules link, the build machine's own among them
(X11, xcb, GLib, fontconfig, OpenSSL, libstdc++, ...). Those listed here are left out of the bundle and
their packages go into the .deb's Depends instead. Only libraries whose soname is the same on Debian 12,
Ubuntu 22.04 and Ubuntu 24.04 are listed (on 24.04 several packages gained a ``t64`` suffix; on amd64
they provide the old name, so a plain Depends is met). A library not listed stays in the bundle, and
the build prints it, so a new dependency is seen rather than silently moved to the system.

``None``: the library is left out without a Depends. These are the GTK stack of Qt's GTK platform
theme plugin (libqgtk3.so): it links libgtk-3, which the bundle never carried, so the plugin loads
only where GTK is installed, and then GTK brings all of them. (libjpeg.so.62 is among them: Ubuntu's
soname is libjpeg.so.8, so a copy from a Debian build machine was wrong there anyway.)
"""

from __future__ import annotations

import re

SYSTEM_LIBS: dict[str, str | None] = {
    # C++ runtime (the wheels are built for older ones; GCC 12's on Debian 12 and Ubuntu 22.04)
    r"libstdc\+\+\.so\.6": "libstdc++6",
    r"libgcc_s\.so\.1": "libgcc-s1",
    # X11 and xcb: Qt's xcb platform plugin
    r"libX11\.so\.6": "libx11-6",
    r"libX11-xcb\.so\.1": "libx11-xcb1",
    r"libXau\.so\.6": "libxau6",
    r"libXdmcp\.so\.6": "libxdmcp6",
    r"libXext\.so\.6": "libxext6",
    r"libXrender\.so\.1": "libxrender1",
    r"libxcb-cursor\.so\.0": "libxcb-cursor0",
    r"libxcb-icccm\.so\.4": "libxcb-icccm4",
    r"libxcb-image\.so\.0": "libxcb-image0",
    r"libxcb-keysyms\.so\.1": "libxcb-keysyms1",
    r"libxcb-randr\.so\.0": "libxcb-randr0",
    r"libxcb-render-util\.so\.0": "libxcb-render-util0",
    r"libxcb-render\.so\.0": "libxcb-render0",
    r"libxcb-shape\.so\.0": "libxcb-shape0",
    r"libxcb-shm\.so\.0": "libxcb-shm0",
    r"libxcb-sync\.so\.1": "libxcb-sync1",
    r"libxcb-util\.so\.1": "libxcb-util1",
    r"libxcb-xfixes\.so\.0": "libxcb-xfixes0",
    r"libxcb-xinerama\.so\.0": "libxcb-xinerama0",
    r"libxcb-xkb\.so\.1": "libxcb-xkb1",
    r"libxcb-glx\.so\.0": "libxcb-glx0",
    r"libxkbcommon\.so\.0": "libxkbcommon0",
    r"libxkbcommon-x11\.so\.0": "libxkbcommon-x11-0",
    r"libGLdispatch\.so\.0": "libglvnd0",
    r"libGLX\.so\.0": "libglx0",
    r"libbsd\.so\.0": "libbsd0",
    r"libmd\.so\.0": "libmd0",
    # fonts, GLib, D-Bus and what they link
    r"libfontconfig\.so\.1": "libfontconfig1",
    r"libfreetype\.so\.6": "libfreetype6",
    r"libpng16\.so\.16": "libpng16-16",
    r"libbrotli(common|dec|enc)\.so\.1": "libbrotli1",
    r"libexpat\.so\.1": "libexpat1",
    r"lib(glib|gobject|gio|gmodule|gthread)-2\.0\.so\.0": "libglib2.0-0",
    r"libpcre2-8\.so\.0": "libpcre2-8-0",
    r"libffi\.so\.8": "libffi8",
    r"libmount\.so\.1": "libmount1",
    r"libblkid\.so\.1": "libblkid1",
    r"libselinux\.so\.1": "libselinux1",
    r"libdbus-1\.so\.3": "libdbus-1-3",
    r"libsystemd\.so\.0": "libsystemd0",
    r"libcap\.so\.2": "libcap2",
    r"libgcrypt\.so\.20": "libgcrypt20",
    r"libgpg-error\.so\.0": "libgpg-error0",
    # compression
    r"libz\.so\.1": "zlib1g",
    r"libzstd\.so\.1": "libzstd1",
    r"liblz4\.so\.1": "liblz4-1",
    r"liblzma\.so\.5": "liblzma5",
    r"libbz2\.so\.1\.0": "libbz2-1.0",
    # the interpreter's modules (built on Debian 12 against these)
    r"lib(ssl|crypto)\.so\.3": "libssl3",
    r"libsqlite3\.so\.0": "libsqlite3-0",
    r"libreadline\.so\.8": "libreadline8",
    r"lib(ncursesw|panelw|formw|menuw)\.so\.6": "libncursesw6",
    r"libtinfo\.so\.6": "libtinfo6",
    r"libuuid\.so\.1": "libuuid1",
    r"libgdbm\.so\.6": "libgdbm6",
    r"libgdbm_compat\.so\.4": "libgdbm-compat4",
    r"libnsl\.so\.2": "libnsl2",
    r"libtirpc\.so\.3": "libtirpc3",
    # Kerberos (GSSAPI): QtNetwork links it for Negotiate authentication
    r"libgssapi_krb5\.so\.2": "libgssapi-krb5-2",
    r"libkrb5\.so\.3": "libkrb5-3",
    r"libk5crypto\.so\.3": "libk5crypto3",
    r"libkrb5support\.so\.0": "libkrb5support0",
    r"libcom_err\.so\.2": "libcom-err2",
    r"libkeyutils\.so\.1": "libkeyutils1",
    # Qt's GTK platform theme only (see above): GTK brings them where the plugin can load
    r"lib(pango|pangocairo|pangoft2)-1\.0\.so\.0": None,
    r"libcairo(-gobject)?\.so\.2": None,
    r"libgdk_pixbuf-2\.0\.so\.0": None,
    r"libatk-1\.0\.so\.0": None,
    r"libharfbuzz\.so\.0": None,
    r"libfribidi\.so\.0": None,
    r"libthai\.so\.0": None,
    r"libdatrie\.so\.1": None,
    r"libgraphite2\.so\.3": None,
    r"libpixman-1\.so\.0": None,
    r"libjpeg\.so\.62": None,
}
# Where a library counts as the build machine's own (not a wheel's): the system library folders.
SYSTEM_DIRS = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/", "/usr/local/lib/")

_PATTERNS = [(re.compile(pattern + r"(\..*)?$"), package) for pattern, package in SYSTEM_LIBS.items()]


def is_system_path(path: str) -> bool:
    return path.startswith(SYSTEM_DIRS)


def debian_package(soname: str) -> tuple[bool, str | None]:
    """Whether ``soname`` is left to Debian, and the package that provides it (None: no Depends)."""
    for pattern, package in _PATTERNS:
        if pattern.match(soname):
            return True, package
    return False, None
