"""PARSeq (Bautista & Atienza, ECCV 2022) in PyTorch.

Parameter names and shapes follow the official implementation's state dict, so an
official checkpoint (``parseq-bb5792a6.pt``, ``parseq_tiny``) loads with strict key
matching. Two decoding paths share the same weights:

* :meth:`PARSeq.decode` mirrors the official full-sequence decoder (used by training
  with permutation masks, and as the reference in tests);
* :meth:`PARSeq.forward` runs autoregressive decoding with key/value caches for the
  content stream and the image memory, plus optional cloze refinement. It has a fixed
  number of steps and no data-dependent control flow, so it exports to a static ONNX
  graph whose only dynamic axis is the batch.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from inference.spec import PARSEQ_CHARSET, ModelSpec


@dataclass(frozen=True, slots=True)
class ParseqConfig:
    img_size: tuple[int, int] = (32, 128)
    patch_size: tuple[int, int] = (4, 8)
    embed_dim: int = 384
    enc_depth: int = 12
    enc_num_heads: int = 6
    enc_mlp_ratio: int = 4
    dec_depth: int = 1
    dec_num_heads: int = 12
    dec_mlp_ratio: int = 4
    dropout: float = 0.1
    charset: str = PARSEQ_CHARSET
    max_label_length: int = 25
    refine_iters: int = 1

    @property
    def num_tokens(self) -> int:
        """[E] + charset + [B] + [P], the official tokenizer's layout."""
        return len(self.charset) + 3

    @property
    def bos_id(self) -> int:
        return len(self.charset) + 1

    @property
    def pad_id(self) -> int:
        return len(self.charset) + 2

    eos_id = 0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["img_size"] = list(self.img_size)
        d["patch_size"] = list(self.patch_size)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ParseqConfig:
        d = dict(d)
        d["img_size"] = tuple(d["img_size"])
        d["patch_size"] = tuple(d["patch_size"])
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    def spec(self, *, name: str, version: str) -> ModelSpec:
        return ModelSpec(
            name=name,
            version=version,
            input_height=self.img_size[0],
            input_width=self.img_size[1],
            charset=self.charset,
            max_label_length=self.max_label_length,
        )


#: Named sizes. ``parseq`` and ``parseq-tiny`` match the official checkpoints.
PRESETS: dict[str, ParseqConfig] = {
    "parseq": ParseqConfig(),
    "parseq-tiny": ParseqConfig(embed_dim=192, enc_num_heads=3, dec_num_heads=6),
    # Tiny's width with a 4-layer encoder: trains on a 2-core CPU in hours; same decoder design.
    "parseq-mini": ParseqConfig(embed_dim=192, enc_depth=4, enc_num_heads=3, dec_num_heads=6),
    # For tests: a few hundred thousand parameters.
    "parseq-micro": ParseqConfig(embed_dim=64, enc_depth=2, enc_num_heads=2, dec_num_heads=2, dropout=0.0),
}


class MultiheadAttention(nn.Module):
    """Attention with ``nn.MultiheadAttention``'s parameter names (packed in-projection)."""

    def __init__(self, dim: int, num_heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError("dim must be divisible by num_heads")
        self.dim, self.num_heads = dim, num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.in_proj_weight = nn.Parameter(torch.empty(3 * dim, dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * dim))
        self.out_proj = nn.Linear(dim, dim)
        self.dropout = dropout
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.out_proj.bias)

    def project(self, x: Tensor, which: int) -> Tensor:
        """Project ``x`` (B, L, D) with q (0), k (1) or v (2) weights -> (B, heads, L, head_dim)."""
        d = self.dim
        y = F.linear(
            x, self.in_proj_weight[which * d : (which + 1) * d], self.in_proj_bias[which * d : (which + 1) * d]
        )
        return y.unflatten(-1, (self.num_heads, d // self.num_heads)).transpose(1, 2)

    def attend(
        self, q: Tensor, k: Tensor, v: Tensor, attn_mask: Tensor | None = None, key_padding_mask: Tensor | None = None
    ) -> Tensor:
        scores = torch.matmul(q * self.scale, k.transpose(-2, -1))
        if attn_mask is not None:
            scores = scores + attn_mask
        if key_padding_mask is not None:
            scores = scores.masked_fill(key_padding_mask[:, None, None, :], float("-inf"))
        attn = scores.softmax(-1)
        if self.training and self.dropout > 0:
            attn = F.dropout(attn, self.dropout)
        return self.out_proj(torch.matmul(attn, v).transpose(1, 2).flatten(2))

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        attn_mask: Tensor | None = None,
        key_padding_mask: Tensor | None = None,
    ) -> Tensor:
        return self.attend(
            self.project(query, 0), self.project(key, 1), self.project(value, 2), attn_mask, key_padding_mask
        )


# --- encoder: a ViT with timm's parameter names --------------------------------------------


class PatchEmbed(nn.Module):
    def __init__(self, cfg: ParseqConfig) -> None:
        super().__init__()
        self.proj = nn.Conv2d(3, cfg.embed_dim, kernel_size=cfg.patch_size, stride=cfg.patch_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)


class VitAttention(nn.Module):
    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        qkv = self.qkv(x).unflatten(-1, (3, self.num_heads, -1)).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = torch.matmul(q * self.scale, k.transpose(-2, -1)).softmax(-1)
        return self.proj(torch.matmul(attn, v).transpose(1, 2).flatten(2))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int, dropout: float) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.drop(self.fc2(self.drop(F.gelu(self.fc1(x)))))


class Block(nn.Module):
    def __init__(self, dim: int, num_heads: int, mlp_ratio: int, dropout: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = VitAttention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, dim * mlp_ratio, dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class Encoder(nn.Module):
    def __init__(self, cfg: ParseqConfig) -> None:
        super().__init__()
        grid = (cfg.img_size[0] // cfg.patch_size[0]) * (cfg.img_size[1] // cfg.patch_size[1])
        self.patch_embed = PatchEmbed(cfg)
        self.pos_embed = nn.Parameter(torch.zeros(1, grid, cfg.embed_dim))
        self.blocks = nn.Sequential(
            *[Block(cfg.embed_dim, cfg.enc_num_heads, cfg.enc_mlp_ratio, cfg.dropout) for _ in range(cfg.enc_depth)]
        )
        self.norm = nn.LayerNorm(cfg.embed_dim, eps=1e-6)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(self.blocks(self.patch_embed(x) + self.pos_embed))


# --- decoder: the two-stream PARSeq decoder -------------------------------------------------


class DecoderLayer(nn.Module):
    def __init__(self, dim: int, num_heads: int, ff_dim: int, dropout: float) -> None:
        super().__init__()
        self.self_attn = MultiheadAttention(dim, num_heads, dropout)
        self.cross_attn = MultiheadAttention(dim, num_heads, dropout)
        self.linear1 = nn.Linear(dim, ff_dim)
        self.linear2 = nn.Linear(ff_dim, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.norm_q = nn.LayerNorm(dim)
        self.norm_c = nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)

    def _finish(self, tgt: Tensor, self_out: Tensor, mem_k: Tensor, mem_v: Tensor) -> Tensor:
        """Residual self-attention output, then cross-attention and the feed-forward block."""
        tgt = tgt + self.drop(self_out)
        q = self.cross_attn.project(self.norm1(tgt), 0)
        tgt = tgt + self.drop(self.cross_attn.attend(q, mem_k, mem_v))
        ff = self.linear2(self.drop(F.gelu(self.linear1(self.norm2(tgt)))))
        return tgt + self.drop(ff)

    def forward_stream(
        self,
        tgt: Tensor,
        tgt_norm: Tensor,
        kv: Tensor,
        mem_k: Tensor,
        mem_v: Tensor,
        mask: Tensor | None,
        padding: Tensor | None,
    ) -> Tensor:
        sa = self.self_attn(tgt_norm, kv, kv, mask, padding)
        return self._finish(tgt, sa, mem_k, mem_v)

    def memory_kv(self, memory: Tensor) -> tuple[Tensor, Tensor]:
        return self.cross_attn.project(memory, 1), self.cross_attn.project(memory, 2)

    def forward(
        self,
        query: Tensor,
        content: Tensor,
        memory: Tensor,
        query_mask: Tensor | None,
        content_mask: Tensor | None,
        padding: Tensor | None,
        update_content: bool,
    ) -> tuple[Tensor, Tensor]:
        mem_k, mem_v = self.memory_kv(memory)
        content_norm = self.norm_c(content)
        query = self.forward_stream(query, self.norm_q(query), content_norm, mem_k, mem_v, query_mask, padding)
        if update_content:
            content = self.forward_stream(content, content_norm, content_norm, mem_k, mem_v, content_mask, padding)
        return query, content


class Decoder(nn.Module):
    def __init__(self, cfg: ParseqConfig) -> None:
        super().__init__()
        d = cfg.embed_dim
        self.layers = nn.ModuleList(
            [DecoderLayer(d, cfg.dec_num_heads, d * cfg.dec_mlp_ratio, cfg.dropout) for _ in range(cfg.dec_depth)]
        )
        self.norm = nn.LayerNorm(d)

    def forward(
        self,
        query: Tensor,
        content: Tensor,
        memory: Tensor,
        query_mask: Tensor | None = None,
        content_mask: Tensor | None = None,
        padding: Tensor | None = None,
    ) -> Tensor:
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            query, content = layer(query, content, memory, query_mask, content_mask, padding, i != last)
        return self.norm(query)


class TokenEmbedding(nn.Module):
    def __init__(self, num_tokens: int, dim: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(num_tokens, dim)
        self.scale = math.sqrt(dim)

    def forward(self, tokens: Tensor) -> Tensor:
        return self.scale * self.embedding(tokens)


def causal_mask(n: int, device: torch.device | None = None) -> Tensor:
    """Float mask: 0 where attention is allowed, -inf above the diagonal."""
    return torch.triu(torch.full((n, n), float("-inf"), device=device), 1)


class PARSeq(nn.Module):
    def __init__(self, cfg: ParseqConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.max_label_length = cfg.max_label_length
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        self.head = nn.Linear(cfg.embed_dim, cfg.num_tokens - 2)
        self.text_embed = TokenEmbedding(cfg.num_tokens, cfg.embed_dim)
        self.pos_queries = nn.Parameter(torch.empty(1, cfg.max_label_length + 1, cfg.embed_dim))
        self.dropout = nn.Dropout(cfg.dropout)
        self._init_weights()

    def _init_weights(self) -> None:
        nn.init.trunc_normal_(self.pos_queries, std=0.02)
        for name, m in self.named_modules():
            if name.startswith("encoder") or isinstance(m, MultiheadAttention):
                continue
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Embedding):
                nn.init.trunc_normal_(m.weight, std=0.02)
        for m in self.encoder.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    # -- official full-sequence interface (training, reference) ------------------------------

    def encode(self, images: Tensor) -> Tensor:
        return self.encoder(images)

    def decode(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        tgt_padding_mask: Tensor | None = None,
        tgt_query: Tensor | None = None,
        tgt_query_mask: Tensor | None = None,
    ) -> Tensor:
        n, length = tgt.shape
        null_ctx = self.text_embed(tgt[:, :1])
        tgt_emb = self.pos_queries[:, : length - 1] + self.text_embed(tgt[:, 1:])
        tgt_emb = self.dropout(torch.cat([null_ctx, tgt_emb], dim=1))
        if tgt_query is None:
            tgt_query = self.pos_queries[:, :length].expand(n, -1, -1)
        tgt_query = self.dropout(tgt_query)
        return self.decoder(tgt_query, tgt_emb, memory, tgt_query_mask, tgt_mask, tgt_padding_mask)

    def reference_forward(self, images: Tensor, refine_iters: int | None = None) -> Tensor:
        """Decoding exactly as the official implementation (no early stop), without caches."""
        cfg = self.cfg
        refine_iters = cfg.refine_iters if refine_iters is None else refine_iters
        bs, steps = images.shape[0], cfg.max_label_length + 1
        memory = self.encode(images)
        pos_queries = self.pos_queries[:, :steps].expand(bs, -1, -1)
        mask = causal_mask(steps, images.device)
        tgt_in = torch.full((bs, steps), cfg.pad_id, dtype=torch.long, device=images.device)
        tgt_in[:, 0] = cfg.bos_id
        logits = []
        for i in range(steps):
            j = i + 1
            out = self.decode(
                tgt_in[:, :j], memory, mask[:j, :j], tgt_query=pos_queries[:, i:j], tgt_query_mask=mask[i:j, :j]
            )
            p_i = self.head(out)
            logits.append(p_i)
            if j < steps:
                tgt_in[:, j] = p_i[:, 0].argmax(-1)
        out_logits = torch.cat(logits, dim=1)
        if refine_iters:
            mask = mask.clone()
            mask[torch.triu(torch.ones(steps, steps, dtype=torch.bool, device=images.device), 2)] = 0
            bos = torch.full((bs, 1), cfg.bos_id, dtype=torch.long, device=images.device)
            for _ in range(refine_iters):
                tgt_in = torch.cat([bos, out_logits[:, :-1].argmax(-1)], dim=1)
                padding = (tgt_in == cfg.eos_id).int().cumsum(-1) > 0
                out = self.decode(tgt_in, memory, mask, padding, pos_queries, mask)
                out_logits = self.head(out)
        return out_logits

    # -- cached, export-friendly inference ---------------------------------------------------

    def _content_at(self, token: Tensor, position: int) -> Tensor:
        """Content-stream embedding of one token at ``position`` (0 is the BOS context)."""
        emb = self.text_embed(token)[:, None, :]
        return emb if position == 0 else emb + self.pos_queries[:, position - 1 : position]

    def forward(self, images: Tensor) -> Tensor:
        """images (B, 3, H, W) normalised -> logits (B, max_label_length + 1, charset + 1)."""
        cfg = self.cfg
        steps = cfg.max_label_length + 1
        memory = self.encode(images)
        layers = cast("list[DecoderLayer]", list(self.decoder.layers))
        mem_kv = [layer.memory_kv(memory) for layer in layers]
        bos = torch.full_like(images[:, 0, 0, 0], cfg.bos_id, dtype=torch.long)
        # Per layer: cached keys/values of the normalised content stream at that layer's input.
        cache_k: list[list[Tensor]] = [[] for _ in layers]
        cache_v: list[list[Tensor]] = [[] for _ in layers]
        logits = []
        token = bos
        for i in range(steps):
            content = self._content_at(token, i)
            for li, layer in enumerate(layers):
                c_norm = layer.norm_c(content)
                cache_k[li].append(layer.self_attn.project(c_norm, 1))
                cache_v[li].append(layer.self_attn.project(c_norm, 2))
                if li < len(layers) - 1:  # content stream feeds the next layer (causal)
                    k, v = torch.cat(cache_k[li], 2), torch.cat(cache_v[li], 2)
                    sa = layer.self_attn.attend(layer.self_attn.project(c_norm, 0), k, v)
                    content = layer._finish(content, sa, *mem_kv[li])
            query = self.pos_queries[:, i : i + 1].expand(images.shape[0], -1, -1)
            for li, layer in enumerate(layers):
                k, v = torch.cat(cache_k[li], 2), torch.cat(cache_v[li], 2)
                sa = layer.self_attn.attend(layer.self_attn.project(layer.norm_q(query), 0), k, v)
                query = layer._finish(query, sa, *mem_kv[li])
            p_i = self.head(self.decoder.norm(query))
            logits.append(p_i)
            token = p_i[:, 0].argmax(-1)
        out = torch.cat(logits, dim=1)
        for _ in range(cfg.refine_iters):
            out = self._refine(out, memory, mem_kv)
        return out

    def _refine(self, logits: Tensor, memory: Tensor, mem_kv: list[tuple[Tensor, Tensor]]) -> Tensor:
        cfg = self.cfg
        steps = logits.shape[1]
        bos = torch.full_like(logits[:, :1, 0], cfg.bos_id, dtype=torch.long)
        tgt_in = torch.cat([bos, logits[:, :-1].argmax(-1)], dim=1)
        padding = torch.cumsum((tgt_in == cfg.eos_id).to(torch.int32), dim=1) > 0
        # Cloze mask: query i sees every context token except token i + 1, the one it predicts.
        # As in the official code, the content stream (used when dec_depth > 1) shares it.
        superdiag = torch.ones(steps, steps, dtype=torch.bool, device=logits.device).triu(1).tril(1)
        mask = torch.zeros(steps, steps, device=logits.device).masked_fill(superdiag, float("-inf"))
        content = torch.cat(
            [self.text_embed(tgt_in[:, :1]), self.pos_queries[:, : steps - 1] + self.text_embed(tgt_in[:, 1:])], 1
        )
        query = self.pos_queries[:, :steps].expand(logits.shape[0], -1, -1)
        layers = cast("list[DecoderLayer]", list(self.decoder.layers))
        last = len(layers) - 1
        for li, layer in enumerate(layers):
            c_norm = layer.norm_c(content)
            query_new = layer.forward_stream(query, layer.norm_q(query), c_norm, *mem_kv[li], mask, padding)
            if li != last:
                content = layer.forward_stream(content, c_norm, c_norm, *mem_kv[li], mask, padding)
            query = query_new
        return self.head(self.decoder.norm(query))


def normalise_state_dict(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """Accept a bare state dict, a Lightning checkpoint, or keys prefixed with ``model.``."""
    if "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if "model" in state and isinstance(state["model"], dict):
        state = state["model"]
    if any(k.startswith("model.") for k in state):
        state = {k[len("model.") :]: v for k, v in state.items() if k.startswith("model.")}
    return state


def infer_config(state: dict[str, Tensor], charset: str = PARSEQ_CHARSET) -> ParseqConfig:
    """Work out the architecture from an official-layout state dict's shapes."""
    embed = state["pos_queries"].shape[-1]
    enc_depth = 1 + max(int(k.split(".")[2]) for k in state if k.startswith("encoder.blocks."))
    dec_depth = 1 + max(int(k.split(".")[2]) for k in state if k.startswith("decoder.layers."))
    ph, pw = state["encoder.patch_embed.proj.weight"].shape[-2:]
    grid = state["encoder.pos_embed"].shape[1]
    max_len = state["pos_queries"].shape[1] - 1
    num_chars = state["head.weight"].shape[0] - 1
    if num_chars != len(charset):
        raise ValueError(f"checkpoint head predicts {num_chars} characters; charset has {len(charset)}")
    # Official sizes: heads = embed / 64 in the encoder, twice that in the decoder.
    enc_heads = max(1, embed // 64)
    width_patches = grid // (32 // ph) if 32 % ph == 0 else None
    img = (32, 128) if width_patches and width_patches * pw == 128 else (ph * 8, pw * grid // 8)
    ff = state["decoder.layers.0.linear1.weight"].shape[0]
    mlp = state["encoder.blocks.0.mlp.fc1.weight"].shape[0] // embed
    return ParseqConfig(
        img_size=img,
        patch_size=(ph, pw),
        embed_dim=embed,
        enc_depth=enc_depth,
        enc_num_heads=enc_heads,
        enc_mlp_ratio=mlp,
        dec_depth=dec_depth,
        dec_num_heads=enc_heads * 2,
        dec_mlp_ratio=ff // embed,
        charset=charset,
        max_label_length=max_len,
    )


def load_checkpoint(
    path: str, *, config: ParseqConfig | None = None, refine_iters: int | None = None
) -> tuple[PARSeq, ParseqConfig, dict]:
    """Load a NoteLasso or official checkpoint with strict key matching.

    NoteLasso checkpoints carry their config (``{"config": ..., "model": state}``);
    official ones are shape-inspected (see :func:`infer_config`) unless ``config`` is given.
    Returns the model in eval mode, its config and the checkpoint's extra metadata.
    """
    raw = torch.load(path, map_location="cpu", weights_only=True)
    meta = (
        {k: v for k, v in raw.items() if k in ("name", "version", "step", "metrics")} if isinstance(raw, dict) else {}
    )
    if config is None and isinstance(raw, dict) and "config" in raw:
        config = ParseqConfig.from_dict(raw["config"])
    state = normalise_state_dict(raw)
    if config is None:
        config = infer_config(state)
    if refine_iters is not None:
        config = replace(config, refine_iters=refine_iters)
    model = PARSeq(config)
    model.load_state_dict(state, strict=True)
    model.eval()
    return model, config, meta
