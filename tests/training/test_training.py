"""The training pipeline: text sampler, renderer, PLM/CTC objectives, the training loop, packing.

Everything runs on the parseq-micro size and a handful of samples, so these stay fast on CPU.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch (the 'train' extra) is needed for training tests")

from build_engine.parseq import PRESETS, PARSeq
from inference.spec import PARSEQ_CHARSET
from training.corpus import TextSampler
from training.metrics import edit_distance, score_words
from training.plm import CtcHead, Tokenizer, attention_masks, ctc_loss, generate_permutations, plm_loss
from training.render import discover_fonts

MICRO = PRESETS["parseq-micro"]


@pytest.fixture(scope="module")
def fonts() -> list[Path]:
    found = discover_fonts()
    if not found:
        pytest.skip("no fonts installed (make test installs the fonts-* packages)")
    return found


# ---- text ------------------------------------------------------------------------------------


def test_sampler_is_deterministic_and_stays_in_the_charset() -> None:
    s1, s2 = TextSampler(11), TextSampler(11)
    draws = [s1.sample() for _ in range(3000)]
    assert draws == [s2.sample() for _ in range(3000)]
    assert all(1 <= len(t) <= 25 and set(t) <= set(PARSEQ_CHARSET) for t in draws)


def test_sampler_covers_what_clinical_documents_contain() -> None:
    sampler = TextSampler(3)
    draws = [sampler.sample() for _ in range(5000)]
    assert any(re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}", t) for t in draws), "dates"
    assert any(t.endswith(("mg", "mcg", "mL", "mg/kg")) or t in {"mg", "mL"} for t in draws), "doses"
    assert any(t.isupper() and len(t) > 3 for t in draws), "ALL CAPS"
    assert any(t[:1].isupper() and t[1:].islower() for t in draws), "Title Case"
    assert any(t.islower() and t.isalpha() for t in draws), "lower case"
    assert any(t.endswith(":") for t in draws), "form labels"
    used = set("".join(draws))
    assert len(used) >= 90, sorted(set(PARSEQ_CHARSET) - used)


# ---- rendering -------------------------------------------------------------------------------


def test_renderer_is_deterministic_and_draws_dark_ink_on_light_paper(fonts: list[Path]) -> None:
    from training.render import WordRenderer

    a, b = WordRenderer(9), WordRenderer(9)
    for word in ["Metoprolol", "12/10/98", "q8h", "DATE:"]:
        x, y = a.render(word), b.render(word)
        assert np.array_equal(x, y)
        assert x.dtype == np.uint8 and x.ndim == 2 and min(x.shape) >= 4
    plain = WordRenderer(1, plain=1.0)
    for word in ["Metoprolol", "Assessment"]:
        img = plain.render(word)
        assert np.median(img) > 180, "paper is light"
        assert img.min() < 110, "ink is dark"
        assert img.shape[1] > img.shape[0], "a word is wider than tall"


def test_plain_share_makes_cleaner_crops(fonts: list[Path]) -> None:
    from training.render import WordRenderer

    def mean_noise(r: WordRenderer) -> float:
        # Pixels that are neither paper nor ink: blur, JPEG, speckle, rules, fragments.
        vals = []
        for _ in range(60):
            img = r.render("Metoprolol").astype(np.float32)
            vals.append(float(np.mean((img > 100) & (img < 200))))
        return float(np.mean(vals))

    assert mean_noise(WordRenderer(4, plain=1.0)) < mean_noise(WordRenderer(4, plain=0.0))


# ---- objectives ------------------------------------------------------------------------------


def test_permutations_start_canonical_then_reverse_as_the_paper_samples_them() -> None:
    tok = Tokenizer(MICRO)
    tgt = tok.encode(["abcdefg", "xy"])
    perms = generate_permutations(tgt, 6, torch.Generator().manual_seed(0))
    n = tgt.shape[1] - 2
    assert perms.shape == (6, n + 2)
    assert perms[0].tolist() == list(range(n + 2))
    # Reverse: characters right to left, and [E] first so that it is predicted with no context.
    assert perms[1].tolist() == [0, n + 1, *range(n, 0, -1)]
    for i, p in enumerate(perms):
        assert p[0] == 0 and sorted(p.tolist()) == list(range(n + 2))
        if i != 1:
            assert p[-1] == n + 1
    content, query = attention_masks(perms[0])
    # Left-to-right order: each position sees itself and what came before, nothing after.
    assert torch.isinf(content).equal(torch.triu(torch.ones_like(content, dtype=torch.bool), 1))
    assert query.shape == (n + 1, n + 1)


def test_plm_and_ctc_losses_fall_when_fitting_a_small_batch() -> None:
    torch.manual_seed(0)
    cfg = replace(MICRO, dropout=0.0)
    model, head, tok = PARSeq(cfg), CtcHead(cfg), Tokenizer(cfg)
    labels = ["abc", "MRN", "12/4", "q8h", "BP", "mg", "Rx", "ok"]
    images = torch.randn(len(labels), 3, *cfg.img_size)
    tgt = tok.encode(labels)
    opt = torch.optim.AdamW([*model.parameters(), *head.parameters()], lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    first = last = None
    for _ in range(60):
        memory = model.encode(images)
        plm, ctc = plm_loss(model, images, tgt, 6, gen, memory=memory), ctc_loss(head, memory, tgt, cfg)
        opt.zero_grad()
        (plm + 0.5 * ctc).backward()
        opt.step()
        first = first or (plm.item(), ctc.item())
        last = (plm.item(), ctc.item())
    assert first is not None and last is not None
    assert last[0] < 0.5 * first[0] and last[1] < 0.5 * first[1], (first, last)


def test_ctc_head_reads_encoder_columns_and_ignores_labels_too_long_for_them() -> None:
    cfg = MICRO
    head, tok = CtcHead(cfg), Tokenizer(cfg)
    columns = cfg.img_size[1] // cfg.patch_size[1]
    memory = torch.randn(2, (cfg.img_size[0] // cfg.patch_size[0]) * columns, cfg.embed_dim)
    assert head(memory).shape == (2, columns, len(cfg.charset) + 1)
    loss = ctc_loss(head, memory, tok.encode(["a" * (columns + 4), "ok"]), cfg)
    assert torch.isfinite(loss)


# ---- the loop --------------------------------------------------------------------------------


def test_training_writes_checkpoints_resumes_and_exports(tmp_path: Path, fonts: list[Path]) -> None:
    from build_engine.export import export_onnx
    from build_engine.parseq import load_checkpoint
    from training.train import TrainConfig, train

    tcfg = TrainConfig(
        preset="parseq-micro",
        out_dir=tmp_path / "run",
        batch_size=4,
        steps=3,
        minutes=30,
        workers=0,
        threads=1,
        val_size=8,
        ctc_weight=0.5,
        plain=0.3,
        seed=3,
    )
    row = train(tcfg)
    assert row["step"] == 3 and row["samples"] == 12 and 0.0 <= row["synthetic_exact"] <= 1.0
    last = torch.load(tcfg.out_dir / "last.pt", weights_only=False)
    assert {"model", "optimizer", "ctc_head", "train_config"} <= set(last)
    assert (tcfg.out_dir / "best.pt").is_file()
    assert json.loads((tcfg.out_dir / "train_config.json").read_text())["ctc_weight"] == 0.5

    row = train(replace(tcfg, steps=5))
    assert row["step"] == 5 and row["samples"] == 20, "resumed from last.pt"

    # The CTC head is training-only: the checkpoint's model loads into the plain PARSeq and exports.
    model, _cfg, _meta = load_checkpoint(str(tcfg.out_dir / "best.pt"))
    assert not any(k.startswith("ctc") for k in model.state_dict())
    export_onnx(model, tmp_path / "m.onnx", name="t", version="0")
    assert (tmp_path / "m.onnx").stat().st_size > 0


def test_pack_and_unpack_keep_the_weights(tmp_path: Path, micro_checkpoint: Path) -> None:
    from training.pack_weights import CHUNK, pack, unpack

    parts = pack(micro_checkpoint, tmp_path / "packed")
    assert parts and all(p.stat().st_size <= CHUNK for p in parts)
    unpack(tmp_path / "packed", tmp_path / "back.pt")
    a = torch.load(micro_checkpoint, weights_only=False)["model"]
    b = torch.load(tmp_path / "back.pt", weights_only=False)["model"]
    assert a.keys() == b.keys()
    for k in a:
        assert torch.allclose(a[k].float(), b[k], atol=1e-3), k


def test_word_scores() -> None:
    assert edit_distance("kitten", "sitting") == 3
    s = score_words(["Aspirin", "aspirin.", "x"], ["Aspirin", "Aspirin", "BP"])
    assert s.exact == pytest.approx(1 / 3)
    assert s.alnum_ci == pytest.approx(2 / 3)
    assert s.cer == pytest.approx((0 + 2 + 2) / (7 + 7 + 2))
    with pytest.raises(ValueError):
        score_words(["a"], [])


# ---- recovering weights from a released model -------------------------------------------------


def test_recover_rebuilds_the_exact_weights_of_an_exported_model(tmp_path: Path) -> None:
    from build_engine.export import export_onnx
    from build_engine.parseq import load_checkpoint
    from training.cli import main
    from training.onnx_weights import recover

    torch.manual_seed(5)
    model = PARSeq(MICRO)
    with torch.no_grad():  # LayerNorms away from their 1/0 start, so a swapped weight would show
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    export_onnx(model, tmp_path / "m.onnx", name="m", version="1")

    cfg, state = recover(tmp_path / "m.onnx")
    assert cfg.to_dict() == MICRO.to_dict()
    for k, v in model.state_dict().items():
        assert torch.equal(state[k], v), k

    assert main(["recover", str(tmp_path / "m.onnx"), "-o", str(tmp_path / "base.pt")]) == 0
    back, _cfg, _meta = load_checkpoint(str(tmp_path / "base.pt"))
    assert torch.equal(back.state_dict()["head.weight"], model.state_dict()["head.weight"])


def test_recover_refuses_a_model_without_notelasso_metadata(tmp_path: Path) -> None:
    import onnx

    from inference.errors import ModelMismatchError
    from training.onnx_weights import recover

    graph = onnx.helper.make_graph(
        [onnx.helper.make_node("Identity", ["x"], ["y"])],
        "g",
        [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])],
    )
    onnx.save(onnx.helper.make_model(graph), str(tmp_path / "foreign.onnx"))
    with pytest.raises(ModelMismatchError, match="configuration"):
        recover(tmp_path / "foreign.onnx")


# ---- phrases (a model that reads spaces) -----------------------------------------------------


def test_phrase_sampler_joins_two_to_five_tokens_within_the_label_length() -> None:
    sampler = TextSampler(5, phrases=1.0)
    draws = [sampler.sample() for _ in range(2000)]
    assert all(2 <= len(t.split(" ")) <= 5 and len(t) <= 25 for t in draws)
    assert all("  " not in t and t == t.strip() for t in draws)
    mixed = TextSampler(5, phrases=0.5)
    share = sum(" " in mixed.sample() for _ in range(2000)) / 2000
    assert 0.4 < share < 0.6
    words_only = TextSampler(5)  # words only by default
    assert not any(" " in words_only.sample() for _ in range(2000))


def test_phrases_render_with_word_spaces_from_narrow_to_wide(fonts: list[Path]) -> None:
    from training.render import WordRenderer

    renderer = WordRenderer(3, fonts=fonts[:3], plain=1.0)
    widths = [renderer.render("Follow up").shape[1] for _ in range(40)]
    assert max(widths) > min(widths)  # the word space varies (and the font, and the margins)
    image = renderer.render("BP 128/82 HR 72")
    assert image.dtype == np.uint8 and image.shape[1] > 3 * image.shape[0]


def test_widening_the_charset_keeps_what_the_model_reads(tmp_path: Path) -> None:
    from training.train import widen_charset

    torch.manual_seed(0)
    old = MICRO
    new = replace(MICRO, charset=MICRO.charset + " ")
    model = PARSeq(old).eval()
    widened = PARSeq(new).eval()
    widened.load_state_dict(widen_charset(model.state_dict(), old, new))
    x = torch.randn(4, 3, *old.img_size)
    with torch.no_grad():
        a, b = model(x), widened(x)
    assert b.shape[-1] == a.shape[-1] + 1
    torch.testing.assert_close(b[..., :-1], a)
    assert (b.argmax(-1) == a.argmax(-1)).all()  # the space is never chosen before training
    tok = Tokenizer(new)
    assert tok.decode(torch.nn.functional.one_hot(tok.encode(["a b"])[:, 1:], new.num_tokens - 2).float()) == ["a b"]


def test_gpu_round_runs_on_the_cpu_and_brings_back_packed_weights(
    tmp_path: Path, micro_checkpoint: Path, fonts: list[Path]
) -> None:
    # GIVEN the one-call GPU round, dry-run here on the CPU with the micro model for two steps
    import os
    import subprocess
    import sys

    from training.pack_weights import CHUNK, unpack

    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "OUT"
    env = {**os.environ, "PYTHON": sys.executable, "RUN_DIR": str(tmp_path / "run")}
    # WHEN it runs from fp16 parts, as carried (phrases on, so the charset is widened on the way),
    # with the degradations on the training device
    from training.pack_weights import pack

    pack(micro_checkpoint, tmp_path / "init")
    done = subprocess.run(
        [
            "bash",
            str(root / "training/gpu_round.sh"),
            str(out),
            "5",
            str(tmp_path / "init"),
            "--preset",
            "parseq-micro",
            "--phrases",
            "0.5",
            "--device-degrade",
            "--steps",
            "2",
            "--batch-size",
            "4",
            "--workers",
            "0",
            "--val-size",
            "8",
            "--threads",
            "1",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    # THEN the weights come back as fp16 parts small enough to carry, with the log and curve
    assert done.returncode == 0, done.stderr[-2000:]
    parts = sorted((out / "weights").glob("weights.fp16.part*"))
    assert parts and all(p.stat().st_size <= CHUNK for p in parts)
    assert (out / "curve.txt").read_text().startswith("VAL")
    assert "--phrases 0.5" in (out / "command.txt").read_text()
    unpack(out / "weights", tmp_path / "back.pt")
    back = torch.load(tmp_path / "back.pt", weights_only=False)
    assert back["config"]["charset"].endswith(" ")
