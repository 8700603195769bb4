"""Permutation language modelling (PARSeq's training objective).

For each batch, K factorisation orders of the label are sampled (the canonical left-to-right
order, its reverse, and random ones with their mirrors). Each order becomes a pair of
attention masks; the decoder predicts every position under every order and the losses are
averaged. Autoregressive decoding and cloze refinement at test time are special cases.
"""

from __future__ import annotations

import math
from itertools import permutations

import torch
import torch.nn.functional as F
from torch import Tensor

from build_engine.parseq import PARSeq, ParseqConfig


class Tokenizer:
    """[B] + characters + [E], padded with [P]; ids follow the official layout."""

    def __init__(self, cfg: ParseqConfig) -> None:
        self.cfg = cfg
        self.index = {c: i + 1 for i, c in enumerate(cfg.charset)}

    def encode(self, labels: list[str], device: torch.device | None = None) -> Tensor:
        cfg = self.cfg
        seqs = [
            [cfg.bos_id] + [self.index[c] for c in label[: cfg.max_label_length]] + [cfg.eos_id] for label in labels
        ]
        width = max(len(s) for s in seqs)
        out = torch.full((len(seqs), width), cfg.pad_id, dtype=torch.long)
        for i, s in enumerate(seqs):
            out[i, : len(s)] = torch.tensor(s)
        return out.to(device) if device is not None else out

    def decode(self, logits: Tensor) -> list[str]:
        ids = logits.argmax(-1).tolist()
        out = []
        for row in ids:
            chars = []
            for i in row:
                if i == self.cfg.eos_id:
                    break
                chars.append(self.cfg.charset[i - 1])
            out.append("".join(chars))
        return out


def generate_permutations(tgt: Tensor, perm_num: int, generator: torch.Generator | None = None) -> Tensor:
    """Factorisation orders for a padded target batch, as the paper's recipe samples them.

    Returns (K, L + 2) position orders including [B] (always first) and [E] (always last).
    """
    max_chars = tgt.shape[1] - 2
    if max_chars == 1:
        return torch.arange(3, device=tgt.device).unsqueeze(0)
    orders = [torch.arange(max_chars, device=tgt.device)]
    max_perms = math.factorial(max_chars) // 2
    num_gen = min(perm_num // 2, max_perms)
    if max_chars < 5:
        # Few characters: sample without replacement from all orders (minus the mirrored half).
        pool = torch.as_tensor(list(permutations(range(max_chars), max_chars)), device=tgt.device)
        pool = (
            pool[:max_perms] if max_chars != 4 else pool[torch.as_tensor([0, 3, 4, 6, 9, 10, 12, 16, 17, 18, 19, 21])]
        )
        pool = pool[1:]
        pick = torch.randperm(len(pool), generator=generator)[: num_gen - 1].to(tgt.device)
        perms = torch.cat([orders[0][None], pool[pick]])
    else:
        orders.extend(torch.randperm(max_chars, generator=generator).to(tgt.device) for _ in range(num_gen - 1))
        perms = torch.stack(orders)
    mirrored = perms.flip(-1)
    perms = torch.stack([perms, mirrored]).transpose(0, 1).reshape(-1, max_chars)
    bos = torch.zeros((len(perms), 1), dtype=perms.dtype, device=tgt.device)
    eos = torch.full((len(perms), 1), max_chars + 1, dtype=perms.dtype, device=tgt.device)
    perms = torch.cat([bos, perms + 1, eos], dim=1)
    if len(perms) > 1:
        perms[1, 1:] = max_chars + 1 - torch.arange(max_chars + 1, device=tgt.device)
    return perms


def attention_masks(perm: Tensor) -> tuple[Tensor, Tensor]:
    """Content and query masks (float, -inf = hidden) for one factorisation order."""
    size = perm.shape[0]
    mask = torch.zeros((size, size), device=perm.device)
    for i in range(size):
        mask[perm[i], perm[i + 1 :]] = float("-inf")
    content_mask = mask[:-1, :-1].clone()
    mask[torch.eye(size, dtype=torch.bool, device=perm.device)] = float("-inf")
    query_mask = mask[1:, :-1]
    return content_mask, query_mask


def plm_loss(
    model: PARSeq,
    images: Tensor,
    tgt: Tensor,
    perm_num: int = 6,
    generator: torch.Generator | None = None,
    memory: Tensor | None = None,
) -> Tensor:
    """``memory``: the encoder output for ``images`` when the caller already has it."""
    cfg = model.cfg
    if memory is None:
        memory = model.encode(images)
    perms = generate_permutations(tgt, perm_num, generator)
    tgt_in, tgt_out = tgt[:, :-1], tgt[:, 1:]
    padding = (tgt_in == cfg.pad_id) | (tgt_in == cfg.eos_id)
    loss, numel = images.new_zeros(()), 0
    n = int((tgt_out != cfg.pad_id).sum())
    for i, perm in enumerate(perms):
        content_mask, query_mask = attention_masks(perm)
        out = model.decode(tgt_in, memory, content_mask, padding, tgt_query_mask=query_mask)
        logits = model.head(out).flatten(end_dim=1)
        loss = loss + n * F.cross_entropy(logits, tgt_out.flatten(), ignore_index=cfg.pad_id)
        numel += n
        if i == 1:
            # After the two canonical orders, EOS is no longer a target (as in the paper's code).
            tgt_out = torch.where(tgt_out == cfg.eos_id, cfg.pad_id, tgt_out)
            n = int((tgt_out != cfg.pad_id).sum())
    return loss / numel


class CtcHead(torch.nn.Module):
    """Training-only auxiliary head: CTC over the encoder's patch columns.

    The encoder memory is a (rows x columns) grid of patches; averaging each column gives one
    feature per horizontal position, left to right. A CTC loss there asks every column to say
    which character it shows, which teaches the encoder localised glyph features far sooner
    than the decoder's attention alone (joint CTC-attention training). The head is not part of
    the exported model: the decoder is unchanged and reads the same memory.
    """

    def __init__(self, cfg: ParseqConfig) -> None:
        super().__init__()
        self.grid = (cfg.img_size[0] // cfg.patch_size[0], cfg.img_size[1] // cfg.patch_size[1])
        self.norm = torch.nn.LayerNorm(cfg.embed_dim)
        self.proj = torch.nn.Linear(cfg.embed_dim, len(cfg.charset) + 1)  # 0 = blank, then the charset

    def forward(self, memory: Tensor) -> Tensor:
        rows, cols = self.grid
        columns = memory.reshape(memory.shape[0], rows, cols, memory.shape[-1]).mean(1)
        return self.proj(self.norm(columns))  # (B, columns, classes)


def ctc_loss(head: CtcHead, memory: Tensor, tgt: Tensor, cfg: ParseqConfig) -> Tensor:
    """Mean CTC loss of the column features against the labels in ``tgt`` (padded token ids).

    Character ids in ``tgt`` are already 1..len(charset), the CTC classes after blank. Labels
    longer than the columns can hold contribute nothing (``zero_infinity``)."""
    chars = tgt[:, 1:]
    is_char = (chars != cfg.pad_id) & (chars != cfg.eos_id)
    lengths = is_char.sum(1)
    targets = chars[is_char]
    log_probs = head(memory).float().log_softmax(-1).transpose(0, 1)  # (T, B, C)
    t = torch.full((memory.shape[0],), log_probs.shape[0], dtype=torch.long, device=memory.device)
    return F.ctc_loss(log_probs, targets, t, lengths, blank=0, reduction="mean", zero_infinity=True)
