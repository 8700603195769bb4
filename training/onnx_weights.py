"""Recover a training checkpoint from a released ONNX model.

Only released ONNX files are committed, never checkpoints; to continue training the shipped
model, ``notelasso-train recover resources/models/notelasso-parseq.onnx -o runs/base/best.pt``
rebuilds its PyTorch weights, and ``notelasso-train train --init runs/base/best.pt`` goes on.

How: the exporter folds and transposes weights and names many of them after graph nodes, so the
names in the file do not say which parameter each came from. A probe model of the same
configuration, whose every parameter element is a distinct value, is exported through the same
path; each of its initializers is then found, as is or transposed, as a contiguous run of one
parameter's elements. That map, applied to the released file's initializers of the same names,
gives the weights back. Every element must be covered, and the recovered model is checked to
reproduce the released model's logits.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from build_engine.export import CONFIG_KEY, export_onnx
from build_engine.parseq import PARSeq, ParseqConfig
from inference.errors import ModelMismatchError
from inference.spec import load_spec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Piece:
    param: str
    start: int  # flat offset into the parameter
    transposed: bool


def config_of(proto: onnx.ModelProto) -> ParseqConfig:
    props = {p.key: p.value for p in proto.metadata_props}
    if CONFIG_KEY not in props:
        raise ModelMismatchError(
            "this ONNX file has no NoteLasso model configuration "
            f"(metadata '{CONFIG_KEY}'); it was not exported by notelasso-engine"
        )
    return ParseqConfig.from_dict(json.loads(props[CONFIG_KEY]))


def _probe(cfg: ParseqConfig) -> PARSeq:
    """A model whose parameter elements are all distinct, so each can be located by value."""
    model = PARSeq(cfg)
    total = sum(p.numel() for p in model.parameters())
    values = torch.randperm(total, generator=torch.Generator().manual_seed(0)).float() / total + 1.0
    offset = 0
    with torch.no_grad():
        for p in model.parameters():
            n = p.numel()
            p.copy_(values[offset : offset + n].view_as(p))
            offset += n
    return model


def _locate(model: PARSeq, inits: dict[str, np.ndarray]) -> dict[str, _Piece]:
    params = {k: v.detach().numpy().ravel() for k, v in model.named_parameters()}
    where = {}
    for name, flat in params.items():
        for i, value in enumerate(flat.tolist()):
            where[value] = (name, i)
    found: dict[str, _Piece] = {}
    for init_name, arr in inits.items():
        if arr.dtype != np.float32 or arr.size < 2:
            continue
        candidates = [(arr, False)] + ([(arr.T, True)] if arr.ndim == 2 else [])
        for cand, transposed in candidates:
            flat = np.ascontiguousarray(cand).ravel()
            hit = where.get(float(flat[0]))
            if hit is None:
                continue
            pname, start = hit
            if np.array_equal(params[pname][start : start + flat.size], flat):
                found[init_name] = _Piece(pname, start, transposed)
                break
    return found


def recover(onnx_path: Path) -> tuple[ParseqConfig, dict[str, torch.Tensor]]:
    """The configuration and state dict of the model in ``onnx_path`` (an fp32 NoteLasso export)."""
    proto = onnx.load(str(onnx_path))
    cfg = config_of(proto)
    released = {i.name: numpy_helper.to_array(i) for i in proto.graph.initializer}
    if any(a.dtype == np.float16 for a in released.values()):
        raise ModelMismatchError("fp16 exports cannot be recovered exactly; use the fp32 model")
    probe = _probe(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "probe.onnx"
        export_onnx(probe, path, name="probe", version="0")
        probe_inits = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}
    pieces = _locate(probe, probe_inits)
    state = {k: v.detach().clone() for k, v in probe.state_dict().items()}
    flat = {k: torch.full((v.numel(),), float("nan")) for k, v in probe.named_parameters()}
    for init_name, piece in pieces.items():
        if init_name not in released or released[init_name].shape != probe_inits[init_name].shape:
            raise ModelMismatchError(
                f"{onnx_path.name}: its graph differs from what this exporter makes "
                f"(initializer {init_name!r}); export and recovery must use the same versions"
            )
        arr = released[init_name]
        values = np.ascontiguousarray(arr.T if piece.transposed else arr).ravel()
        flat[piece.param][piece.start : piece.start + values.size] = torch.from_numpy(values.copy())
    missing = {k: int(torch.isnan(v).sum()) for k, v in flat.items() if torch.isnan(v).any()}
    if missing:
        raise ModelMismatchError(f"{onnx_path.name}: could not recover every weight: {missing}")
    for k, v in flat.items():
        state[k] = v.view_as(state[k])
    return cfg, state


def recover_checkpoint(onnx_path: Path, out: Path, *, check: bool = True) -> Path:
    """Write a checkpoint ``notelasso-train train --init`` accepts; verify it reproduces the logits."""
    cfg, state = recover(onnx_path)
    model = PARSeq(cfg)
    model.load_state_dict(state)
    model.eval()
    if check:
        _check_logits(model, onnx_path)
    spec = load_spec(Path(onnx_path))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "config": cfg.to_dict(),
            "model": model.state_dict(),
            "name": spec.name,
            "version": spec.version,
            "step": 0,
            "samples": 0,
            "metrics": {},
            "recovered_from": str(onnx_path),
        },
        out,
    )
    return out


def _check_logits(model: PARSeq, onnx_path: Path) -> float:
    from inference.backends import BackendConfig, open_backend

    h, w = model.cfg.img_size
    x = torch.rand(4, 3, h, w, generator=torch.Generator().manual_seed(1)) * 2 - 1
    with torch.no_grad():
        ours = model(x).numpy()
    backend = open_backend(BackendConfig("cpu", {"model_path": Path(onnx_path), "threads": 1}))
    try:
        theirs = backend.infer(x.numpy())
    finally:
        backend.close()
    diff = float(np.abs(ours - theirs).max())
    if diff > 1e-3:
        raise ModelMismatchError(
            f"recovered weights do not reproduce {onnx_path.name} (max logit difference {diff:.3g})"
        )
    log.info("recovered weights reproduce %s (max logit difference %.2g)", onnx_path.name, diff)
    return diff
