"""Pack a training checkpoint's weights as float16 chunks (<= 16 MiB each) and unpack them.

Used to carry a model back from a GPU machine whose file transfers are size-limited:
``python -m training.pack_weights pack runs/gpu/best.pt OUTDIR`` then, here,
``python -m training.pack_weights unpack OUTDIR model.pt``. The optimiser state is dropped.
"""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import torch

from inference.errors import ExitCode

CHUNK = 15 * 1024 * 1024


def pack(checkpoint: Path, out_dir: Path) -> list[Path]:
    ck = torch.load(checkpoint, map_location="cpu", weights_only=False)
    meta = {k: v for k, v in ck.items() if k not in ("model", "optimizer")}
    state = {k: v.half() if v.is_floating_point() else v for k, v in ck["model"].items()}
    buf = io.BytesIO()
    torch.save(state, buf)
    data = buf.getvalue()
    out_dir.mkdir(parents=True, exist_ok=True)
    parts = []
    for i in range(0, len(data), CHUNK):
        part = out_dir / f"weights.fp16.part{i // CHUNK:02d}"
        part.write_bytes(data[i : i + CHUNK])
        parts.append(part)
    (out_dir / "checkpoint_meta.json").write_text(json.dumps(meta, indent=1, default=str))
    return parts


def unpack(in_dir: Path, out: Path) -> None:
    data = b"".join(p.read_bytes() for p in sorted(in_dir.glob("weights.fp16.part*")))
    state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    meta = json.loads((in_dir / "checkpoint_meta.json").read_text())
    meta["model"] = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    torch.save(meta, out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("pack")
    a.add_argument("checkpoint", type=Path)
    a.add_argument("out_dir", type=Path)
    b = sub.add_parser("unpack")
    b.add_argument("in_dir", type=Path)
    b.add_argument("out", type=Path)
    args = p.parse_args(argv)
    if args.cmd == "pack":
        print("\n".join(str(x) for x in pack(args.checkpoint, args.out_dir)))
    else:
        unpack(args.in_dir, args.out)
    return ExitCode.OK


if __name__ == "__main__":
    raise SystemExit(main())
