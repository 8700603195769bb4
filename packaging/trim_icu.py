"""ICU's data for Qt, English and root only: ``python3 packaging/trim_icu.py PATH/libicudata.so.NN``.

PySide6's Qt links its own ICU (libicu*.so.73, every symbol suffixed ``_73``): Debian 12 has ICU 72,
Ubuntu 22.04 ICU 70 and 24.04 ICU 74, so the system's ICU cannot stand in (decision 016, amended).
Its data library is 32 MB, nearly all of it locale data for some 800 locales (names of languages,
regions, currencies, units and time zones; collation rules; word-break dictionaries; CJK code
pages). Qt formats numbers and dates and breaks text with its own tables (CLDR, built into QtCore);
it asks ICU for collation, case mapping, time zone names and codecs beyond UTF-8/16/32 and Latin-1.

This keeps every non-locale item (normalisation, properties, time zones, likely subtags, plural
rules, the UCA collation table, the break rules, the alias table and the 8-bit code pages) and, of
the locale data, root and English only; another locale falls back to root (ICU's own fallback).
Dropped: the other locales' data in every tree, the break dictionaries (Thai, Lao, Khmer, Burmese,
CJK: ICU's break iterators only, which Qt does not use), the transliterators, and the multi-byte
code pages over 20 KB (CJK and EBCDIC tables), with the code pages that map through them.

The library is rebuilt from the trimmed package with the same soname and data symbol
(``icudtNN_dat``) by the C compiler. Needs ``icupkg`` (Debian: icu-devtools), ``cc``, ``nm``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

LOCALE_ITEM = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]*)*\.res$")
KEEP_LOCALES = ("root", "res_index", "pool", "en")
BIG_CODE_PAGE = 20_000


def _keep_locale(name: str) -> bool:
    stem = name.removesuffix(".res")
    return stem in KEEP_LOCALES or stem.startswith("en_")


def dropped(items: dict[str, int]) -> list[str]:
    """Of the package's items (name -> bytes, names relative to the package), those to remove."""
    out = []
    for name, size in items.items():
        folder, _, base = name.rpartition("/")
        if folder == "translit" or base.endswith(".dict"):  # transliteration rules, break dictionaries
            drop = True
        elif base.endswith(".cnv"):
            drop = size > BIG_CODE_PAGE
        else:
            drop = bool(LOCALE_ITEM.match(base)) and not _keep_locale(base)
        if drop:
            out.append(name)
    return out


def _icupkg(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["icupkg", *args], capture_output=True, text=True)


def _list(work: Path, items: set[str]) -> str:
    path = work / "remove.txt"
    path.write_text("\n".join(sorted(items)) + "\n", encoding="utf-8")
    return str(path)


def _missing_dependencies(package: Path, out: Path, remove: set[str], work: Path) -> list[tuple[str, str]]:
    """(kept item, dropped item it needs) pairs, as icupkg reports them; writes nothing usable."""
    result = _icupkg(["-r", _list(work, remove), str(package), str(out)])
    pairs = re.findall(r"Item (\S+) depends on missing item (\S+)", result.stdout + result.stderr)
    if result.returncode != 0 and not pairs:
        raise SystemExit(f"icupkg failed on {package.name}:\n{result.stdout}{result.stderr}")
    return sorted(set(pairs))


def _data_symbol(library: Path) -> tuple[str, int, int]:
    """The library's data symbol, its file offset and size (the data sits in .rodata)."""
    nm = subprocess.run(["nm", "-D", "-S", "--defined-only", str(library)], check=True, capture_output=True, text=True)
    for line in nm.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and re.fullmatch(r"icudt\d+_dat", parts[3]):
            address, size = int(parts[0], 16), int(parts[1], 16)
            break
    else:
        raise SystemExit(f"{library}: no icudtNN_dat symbol")
    sections = subprocess.run(["readelf", "-S", "-W", str(library)], check=True, capture_output=True, text=True)
    for line in sections.stdout.splitlines():
        fields = line.replace("[ ", "[").split()
        if len(fields) > 5 and fields[1] == ".rodata":
            section_address, section_offset = int(fields[3], 16), int(fields[4], 16)
            return parts[3], address - section_address + section_offset, size
    raise SystemExit(f"{library}: no .rodata section")


def trim(library: Path) -> tuple[int, int]:
    """Replace ``library`` (libicudata.so.NN) by one holding the trimmed data; returns (bytes before, after)."""
    symbol, offset, size = _data_symbol(library)
    before = library.stat().st_size
    with tempfile.TemporaryDirectory(prefix="notelasso-icu-") as tmp:
        work = Path(tmp)
        package = work / f"{symbol.removesuffix('_dat')}l.dat"
        with library.open("rb") as f:
            f.seek(offset)
            package.write_bytes(f.read(size))
        extracted = work / "items"
        extracted.mkdir()
        subprocess.run(["icupkg", "-x", "*", "-d", str(extracted), str(package)], check=True, capture_output=True)
        items = {p.relative_to(extracted).as_posix(): p.stat().st_size for p in extracted.rglob("*") if p.is_file()}
        trimmed = work / "out" / package.name  # the same name: icupkg takes the items' prefix from it
        trimmed.parent.mkdir()
        remove = set(dropped(items))
        for _ in range(5):  # a code page kept that maps through a dropped one goes too
            missing = _missing_dependencies(package, trimmed, remove, work)
            extra = {item for item, _needed in missing if item.endswith(".cnv")}
            if not extra:
                break
            remove |= extra
        # What is left: brkitr/root.res names the dictionaries; ICU goes without one it cannot open.
        unexpected = [f"{item} -> {needed}" for item, needed in missing if not needed.endswith(".dict")]
        if unexpected:
            raise SystemExit(f"{library.name}: kept items need dropped ones: {unexpected}")
        result = _icupkg(["--ignore-deps", "-r", _list(work, remove), str(package), str(trimmed)])
        if result.returncode != 0 or not trimmed.is_file():
            raise SystemExit(f"icupkg could not trim {library.name}:\n{result.stdout}{result.stderr}")
        source = work / "data.S"
        source.write_text(
            f"\t.section .rodata\n\t.globl {symbol}\n\t.type {symbol}, @object\n\t.balign 16\n{symbol}:\n"
            f'\t.incbin "{trimmed}"\n\t.size {symbol}, . - {symbol}\n\t.section .note.GNU-stack,"",@progbits\n',
            encoding="utf-8",
        )
        out = work / library.name
        subprocess.run(
            ["cc", "-shared", "-nostdlib", f"-Wl,-soname,{library.name}", "-o", str(out), str(source)], check=True
        )
        library.write_bytes(out.read_bytes())
    return before, library.stat().st_size


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        b, a = trim(Path(arg))
        print(f"{arg}: {b / 1e6:.1f} -> {a / 1e6:.1f} MB")
