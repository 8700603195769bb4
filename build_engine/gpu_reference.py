"""PyTorch-on-CUDA reference throughput: the figure a TensorRT engine must beat.

``python -m build_engine.gpu_reference CHECKPOINT`` prints crops/s at batch 1, 8 and 64 in
fp32 and fp16 (the same logits-only forward that is exported to ONNX).
"""

from __future__ import annotations

import argparse
import time

import torch

from build_engine.parseq import load_checkpoint
from inference.errors import ExitCode


def crops_per_second(model: torch.nn.Module, batch: int, dtype: torch.dtype, seconds: float = 3.0) -> float:
    x = torch.randn(batch, 3, 32, 128, device="cuda", dtype=dtype)
    with torch.inference_mode():
        for _ in range(5):
            model(x)
        torch.cuda.synchronize()
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            model(x)
            n += batch
        torch.cuda.synchronize()
    return n / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("checkpoint")
    p.add_argument("--batches", default="1,8,64")
    args = p.parse_args(argv)
    if not torch.cuda.is_available():
        print("no CUDA device")
        return ExitCode.BACKEND_UNAVAILABLE
    model, cfg, _ = load_checkpoint(args.checkpoint)
    print(
        f"GPU: {torch.cuda.get_device_name()}  torch {torch.__version__}  model embed {cfg.embed_dim} "
        f"enc_depth {cfg.enc_depth}"
    )
    for dtype in (torch.float32, torch.float16):
        m = model.to("cuda", dtype=dtype).eval()
        for b in (int(v) for v in args.batches.split(",")):
            print(f"{str(dtype).replace('torch.', ''):8} batch {b:3}: {crops_per_second(m, b, dtype):9.0f} crops/s")
    return ExitCode.OK


if __name__ == "__main__":
    raise SystemExit(main())
