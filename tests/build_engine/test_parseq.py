"""PARSeq module: official state-dict layout, sizes, and cached decoding == reference decoding."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="torch (the 'train' extra) is needed for build_engine tests")

from build_engine.parseq import PRESETS, PARSeq, infer_config, load_checkpoint

OFFICIAL_KEYS = [
    "pos_queries",
    "encoder.pos_embed",
    "encoder.patch_embed.proj.weight",
    "encoder.blocks.0.norm1.weight",
    "encoder.blocks.0.attn.qkv.weight",
    "encoder.blocks.0.attn.proj.weight",
    "encoder.blocks.0.mlp.fc1.weight",
    "encoder.blocks.0.mlp.fc2.weight",
    "encoder.norm.weight",
    "decoder.layers.0.self_attn.in_proj_weight",
    "decoder.layers.0.self_attn.out_proj.weight",
    "decoder.layers.0.cross_attn.in_proj_weight",
    "decoder.layers.0.linear1.weight",
    "decoder.layers.0.linear2.weight",
    "decoder.layers.0.norm_q.weight",
    "decoder.layers.0.norm_c.weight",
    "decoder.norm.weight",
    "head.weight",
    "text_embed.embedding.weight",
]


@pytest.mark.parametrize(("preset", "params_m"), [("parseq", 23.8), ("parseq-tiny", 6.0)])
def test_official_sizes_and_state_dict_names(preset: str, params_m: float) -> None:
    model = PARSeq(PRESETS[preset])
    n = sum(p.numel() for p in model.parameters()) / 1e6
    assert n == pytest.approx(params_m, abs=0.1)
    keys = set(model.state_dict())
    assert set(OFFICIAL_KEYS) <= keys
    state = model.state_dict()
    assert tuple(state["encoder.pos_embed"].shape) == (1, 128, PRESETS[preset].embed_dim)  # 32x128 / 4x8 patches
    assert tuple(state["head.weight"].shape) == (95, PRESETS[preset].embed_dim)  # 94 chars + EOS
    assert tuple(state["pos_queries"].shape) == (1, 26, PRESETS[preset].embed_dim)  # max 25 + EOS


def test_official_style_checkpoint_loads_strictly(tmp_path) -> None:
    # GIVEN an official-style checkpoint: a bare state dict with the Lightning "model." prefix
    # (heads are not visible in shapes: official checkpoints use embed/64 encoder heads, twice
    # that in the decoder, so the small model here follows the same convention)
    from dataclasses import replace

    torch.manual_seed(1)
    cfg0 = replace(PRESETS["parseq-micro"], embed_dim=128, enc_num_heads=2, dec_num_heads=4, refine_iters=1)
    model = PARSeq(cfg0).eval()
    path = tmp_path / "official.pt"
    torch.save({"state_dict": {f"model.{k}": v for k, v in model.state_dict().items()}}, path)
    # WHEN it is loaded without a config
    loaded, cfg, _meta = load_checkpoint(str(path))
    # THEN the shape-inferred config matches and the weights are identical
    assert (cfg.embed_dim, cfg.enc_depth, cfg.dec_depth, cfg.dec_num_heads) == (128, 2, 1, 4)
    x = torch.randn(2, 3, 32, 128)
    with torch.no_grad():
        assert torch.allclose(loaded(x), model(x), atol=1e-6)
    # AND a state dict with an unexpected key is refused (strict matching)
    bad = dict(model.state_dict(), extra=torch.zeros(1))
    torch.save(bad, tmp_path / "bad.pt")
    with pytest.raises(RuntimeError):
        load_checkpoint(str(tmp_path / "bad.pt"), config=cfg)


def test_infer_config_reads_tiny_shapes() -> None:
    cfg = infer_config(PARSeq(PRESETS["parseq-tiny"]).state_dict())
    assert (cfg.embed_dim, cfg.enc_depth, cfg.enc_num_heads, cfg.dec_num_heads) == (192, 12, 3, 6)


@pytest.mark.parametrize("refine_iters", [0, 1])
def test_cached_decoding_matches_reference(refine_iters: int) -> None:
    from dataclasses import replace

    torch.manual_seed(3)
    model = PARSeq(replace(PRESETS["parseq-micro"], refine_iters=refine_iters)).eval()
    x = torch.randn(5, 3, 32, 128)
    with torch.no_grad():
        fast = model(x)
        ref = model.reference_forward(x, refine_iters=refine_iters)
    assert fast.shape == (5, 26, 95)
    assert torch.allclose(fast, ref, atol=1e-5)
