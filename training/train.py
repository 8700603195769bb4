"""Train PARSeq on synthetic scan-like words (PLM objective), with checkpoints and resume.

Data is generated on the fly by ``training.corpus`` (text) and ``training.render``
(fonts + scan/fax degradations): nothing real is trained on. FUNSD word crops are used
only to *measure* the model during training.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from build_engine.parseq import PRESETS, PARSeq, ParseqConfig
from training.device_degrade import degrade
from training.metrics import score_words
from training.plm import CtcHead, Tokenizer, ctc_loss, plm_loss

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    preset: str = "parseq-mini"
    out_dir: Path = Path("runs/default")
    batch_size: int = 64
    lr: float = 7e-4
    weight_decay: float = 0.0
    warmup: float = 0.05
    steps: int = 0  # 0: bounded by minutes alone
    minutes: float = 60.0
    seed: int = 1234
    workers: int = 1
    threads: int = 0  # torch intra-op threads (0: torch default)
    perm_num: int = 6
    ctc_weight: float = 0.0  # auxiliary CTC loss on the encoder columns (training only)
    plain: float = 0.0  # share of clean-print samples (training.render.WordRenderer)
    phrases: float = 0.0  # share of multi-word samples; > 0 adds the space to the charset
    device_degrade: bool = False  # pixel degradations on the training device (training.device_degrade)
    dropout: float | None = None
    val_every_min: float = 5.0
    val_size: int = 1000
    funsd_dir: Path | None = None
    funsd_size: int = 600
    resume: bool = True
    init_from: Path | None = None  # start from these weights (fresh optimiser) unless resuming
    overrides: dict = field(default_factory=dict)  # ParseqConfig field overrides

    def model_config(self) -> ParseqConfig:
        cfg = PRESETS[self.preset]
        if self.dropout is not None:
            cfg = replace(cfg, dropout=self.dropout)
        if self.phrases > 0 and " " not in cfg.charset:
            cfg = replace(cfg, charset=cfg.charset + " ")
        return replace(cfg, **self.overrides) if self.overrides else cfg


class SyntheticWords(IterableDataset):
    """Endless (image tensor, label) pairs; each worker seeds its own generators."""

    def __init__(
        self, seed: int, height: int, width: int, plain: float = 0.0, phrases: float = 0.0, device_degrade: bool = False
    ) -> None:
        self.seed, self.height, self.width, self.plain, self.phrases = seed, height, width, plain, phrases
        self.device_degrade = device_degrade

    def __iter__(self):
        from training.corpus import TextSampler
        from training.render import WordRenderer
        from training.synth import make_sample, to_model_input

        info = get_worker_info()
        wid = info.id if info else 0
        seed = self.seed * 1000 + wid
        sampler = TextSampler(seed, self.phrases)
        renderer = WordRenderer(seed, plain=self.plain, device_degrade=self.device_degrade)
        while True:
            gray, text = make_sample(renderer, sampler)
            yield torch.from_numpy(to_model_input(gray, self.height, self.width)), text


def fixed_validation_set(
    n: int, seed: int, height: int, width: int, phrases: float = 0.0
) -> tuple[torch.Tensor, list[str]]:
    from training.corpus import TextSampler
    from training.render import WordRenderer
    from training.synth import make_sample, to_model_input

    sampler, renderer = TextSampler(seed, phrases), WordRenderer(seed)
    images, labels = [], []
    for _ in range(n):
        gray, text = make_sample(renderer, sampler)
        images.append(to_model_input(gray, height, width))
        labels.append(text)
    return torch.from_numpy(np.stack(images)), labels


@torch.no_grad()
def predict(model: PARSeq, images: torch.Tensor, tokenizer: Tokenizer, batch: int = 128) -> list[str]:
    model.eval()
    out: list[str] = []
    device = next(model.parameters()).device
    for i in range(0, len(images), batch):
        out.extend(tokenizer.decode(model(images[i : i + batch].to(device)).float().cpu()))
    return out


def widen_charset(state: dict[str, torch.Tensor], old: ParseqConfig, new: ParseqConfig) -> dict[str, torch.Tensor]:
    """Weights of ``old`` for a charset that appends characters to its own.

    The token layout is [E] + charset + [B] + [P] (embedding) and [E] + charset (head), so the
    new characters go between the old charset and [B]: [B] and [P] keep their rows at their new
    ids. A new character's embedding starts small and random, its head row at zero with a bias
    well below the others, so the widened model reads exactly as before until it is trained."""
    added = len(new.charset) - len(old.charset)
    out = dict(state)
    emb = state["text_embed.embedding.weight"]
    n_old = len(old.charset) + 1  # [E] + charset
    fresh = torch.randn(added, emb.shape[1], dtype=emb.dtype) * emb[:n_old].std()
    out["text_embed.embedding.weight"] = torch.cat([emb[:n_old], fresh, emb[n_old:]])
    head_w, head_b = state["head.weight"], state["head.bias"]
    out["head.weight"] = torch.cat([head_w, torch.zeros(added, head_w.shape[1], dtype=head_w.dtype)])
    out["head.bias"] = torch.cat([head_b, torch.full((added,), float(head_b.min()) - 5.0, dtype=head_b.dtype)])
    return out


def lr_factor(progress: float, warmup: float) -> float:
    """Linear warm-up, then cosine decay to 1% (progress in [0, 1])."""
    if progress < warmup:
        return max(progress / warmup, 0.01)
    p = min(1.0, (progress - warmup) / max(1e-8, 1 - warmup))
    return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * p))


def save_checkpoint(
    path: Path,
    model: PARSeq,
    opt: torch.optim.Optimizer | None,
    step: int,
    samples: int,
    elapsed: float,
    metrics: dict,
    tcfg: TrainConfig,
    ctc: CtcHead | None = None,
) -> None:
    data = {
        "config": model.cfg.to_dict(),
        "model": model.state_dict(),
        "name": "notelasso-parseq",
        "version": time.strftime("%Y.%m.%d"),
        "step": step,
        "metrics": metrics,
        "samples": samples,
        "elapsed_s": elapsed,
        "train_config": _jsonable(asdict(tcfg)),
    }
    if opt is not None:
        data["optimizer"] = opt.state_dict()
        if ctc is not None:
            data["ctc_head"] = ctc.state_dict()
    tmp = path.with_suffix(".tmp")
    torch.save(data, tmp)
    os.replace(tmp, path)


def _jsonable(d: dict) -> dict:
    return json.loads(json.dumps(d, default=str))


def train(tcfg: TrainConfig) -> dict:
    torch.manual_seed(tcfg.seed)
    np.random.seed(tcfg.seed)
    if tcfg.threads:
        torch.set_num_threads(tcfg.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    cfg = tcfg.model_config()
    model = PARSeq(cfg).to(device)
    tokenizer = Tokenizer(cfg)
    ctc = CtcHead(cfg).to(device) if tcfg.ctc_weight > 0 else None
    params = list(model.parameters()) + (list(ctc.parameters()) if ctc is not None else [])
    opt = torch.optim.AdamW(params, lr=tcfg.lr, weight_decay=tcfg.weight_decay, betas=(0.9, 0.999))
    out = Path(tcfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    last, best = out / "last.pt", out / "best.pt"
    step, samples, elapsed_before, best_acc = 0, 0, 0.0, -1.0
    history: list[dict] = []
    if tcfg.resume and last.is_file():
        ck = torch.load(last, map_location=device, weights_only=False)
        model.load_state_dict(ck["model"])
        if ctc is not None and "ctc_head" in ck:
            ctc.load_state_dict(ck["ctc_head"])
        opt.load_state_dict(ck["optimizer"])
        step, samples, elapsed_before = ck["step"], ck.get("samples", 0), ck.get("elapsed_s", 0.0)
        history = ck.get("metrics", {}).get("history", [])
        best_acc = max((h.get("synthetic_exact", -1) for h in history), default=-1.0)
        log.info("resumed at step %d", step)
    elif tcfg.init_from:
        ck = torch.load(tcfg.init_from, map_location=device, weights_only=False)
        state, init_cfg = ck["model"], ParseqConfig.from_dict(ck["config"])
        if init_cfg.charset != cfg.charset and cfg.charset.startswith(init_cfg.charset):
            state = widen_charset(state, init_cfg, cfg)
            log.info("charset widened by %r", cfg.charset[len(init_cfg.charset) :])
            init_cfg = replace(init_cfg, charset=cfg.charset)
        if cfg.to_dict() != init_cfg.to_dict():
            raise ValueError("--init checkpoint has a different model configuration than the preset/--set")
        model.load_state_dict(state)
        samples = int(ck.get("samples", 0))
        log.info("initialised from %s (%d samples seen)", tcfg.init_from, samples)
    (out / "train_config.json").write_text(json.dumps(_jsonable(asdict(tcfg)), indent=2))

    h, w = cfg.img_size
    val_images, val_labels = fixed_validation_set(tcfg.val_size, tcfg.seed + 99991, h, w, tcfg.phrases)
    funsd = None
    if tcfg.funsd_dir and Path(tcfg.funsd_dir).is_dir():
        from training.funsd import sample_word_crops
        from training.synth import to_model_input

        pairs = sample_word_crops(Path(tcfg.funsd_dir), tcfg.funsd_size, seed=7, charset=cfg.charset)
        funsd = (torch.from_numpy(np.stack([to_model_input(c, h, w) for c, _ in pairs])), [t for _, t in pairs])

    loader = DataLoader(
        SyntheticWords(tcfg.seed + step, h, w, tcfg.plain, tcfg.phrases, tcfg.device_degrade),
        batch_size=tcfg.batch_size,
        num_workers=tcfg.workers,
        persistent_workers=tcfg.workers > 0,
        prefetch_factor=4 if tcfg.workers > 0 else None,
    )
    use_amp = device.type == "cuda"
    gen = torch.Generator().manual_seed(tcfg.seed + step)
    degrade_gen = torch.Generator().manual_seed(tcfg.seed + step + 7)
    t_start = time.time()
    t_val, samples_start = t_start, samples
    budget_s = tcfg.minutes * 60

    def progress() -> float:
        p_time = (elapsed_before + time.time() - t_start) / budget_s if budget_s > 0 else 0.0
        p_step = step / tcfg.steps if tcfg.steps else 0.0
        return max(p_time, p_step)

    def validate() -> dict:
        nonlocal best_acc
        row: dict = {
            "step": step,
            "samples": samples,
            "elapsed_min": round((elapsed_before + time.time() - t_start) / 60, 2),
        }
        syn = score_words(predict(model, val_images, tokenizer), val_labels)
        row.update(synthetic_exact=syn.exact, synthetic_cer=syn.cer)
        if funsd is not None:
            fs = score_words(predict(model, funsd[0], tokenizer), funsd[1])
            row.update(funsd_exact=fs.exact, funsd_alnum=fs.alnum_ci, funsd_cer=fs.cer)
        history.append(row)
        log.info("validation %s", row)
        print("VAL", json.dumps(row), flush=True)
        elapsed = elapsed_before + time.time() - t_start
        metrics = {"history": history, "last": row}
        save_checkpoint(last, model, opt, step, samples, elapsed, metrics, tcfg, ctc)
        if syn.exact > best_acc:
            best_acc = syn.exact
            save_checkpoint(best, model, None, step, samples, elapsed, metrics, tcfg)
        model.train()
        return row

    model.train()
    running, t_log = 0.0, time.time()
    for images, labels in loader:
        if progress() >= 1.0:
            break
        for g in opt.param_groups:
            g["lr"] = tcfg.lr * lr_factor(progress(), tcfg.warmup)
        images = images.to(device, non_blocking=True)
        if tcfg.device_degrade:
            images = degrade(images, degrade_gen, share=1.0 - tcfg.plain)
        tgt = tokenizer.encode(list(labels), device)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_amp):
            memory = model.encode(images)
            loss = plm_loss(model, images, tgt, tcfg.perm_num, gen, memory=memory)
            if ctc is not None:
                loss = loss + tcfg.ctc_weight * ctc_loss(ctc, memory, tgt, cfg)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 20.0)
        opt.step()
        step += 1
        samples += images.shape[0]
        value = loss.item()
        running = 0.98 * running + 0.02 * value if step > 1 else value
        if time.time() - t_log > 60:
            rate = (samples - samples_start) / max(1e-6, time.time() - t_start)
            print(
                f"step {step} loss {running:.3f} lr {opt.param_groups[0]['lr']:.2e} "
                f"{rate:.0f} samples/s progress {progress():.2f}",
                flush=True,
            )
            t_log = time.time()
        if time.time() - t_val > tcfg.val_every_min * 60:
            validate()
            t_val = time.time()
    return validate()
