"""Degradations on the training device (``--device-degrade``): run here on the CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch (the 'train' extra) is needed for training tests")

from training.corpus import TextSampler
from training.device_degrade import degrade
from training.render import WordRenderer, discover_fonts
from training.synth import make_sample, to_model_input


@pytest.fixture(scope="module")
def clean_batch() -> tuple[object, list[str]]:
    fonts: list[Path] = discover_fonts()
    if not fonts:
        pytest.skip("no fonts installed (make test installs the fonts-* packages)")
    renderer, sampler = WordRenderer(11, fonts=fonts, device_degrade=True), TextSampler(11)
    pairs = [make_sample(renderer, sampler) for _ in range(64)]
    return torch.from_numpy(np.stack([to_model_input(g) for g, _ in pairs])), [t for _, t in pairs]


def test_renderer_leaves_the_pixel_degradations_to_the_device(clean_batch) -> None:
    # GIVEN words rendered for device degradation
    images, _ = clean_batch
    # THEN they are clean ink on white paper: paper pixels are exactly white, and ink is black
    values = images[:, 0]
    assert float(values.max()) == pytest.approx(1.0)
    assert float((values > 0.98).float().mean()) > 0.5  # most of a crop is paper
    assert float(values.min()) < -0.9


def test_degrade_keeps_shape_and_range_and_is_reproducible(clean_batch) -> None:
    # GIVEN a clean batch
    images, _ = clean_batch
    # WHEN it is degraded twice with the same seed and once with another
    a = degrade(images, torch.Generator().manual_seed(5))
    b = degrade(images, torch.Generator().manual_seed(5))
    c = degrade(images, torch.Generator().manual_seed(6))
    # THEN the shape, dtype and range are the model input's, the same seed gives the same batch,
    # channels stay equal, and the input is not changed in place
    assert a.shape == images.shape and a.dtype == images.dtype
    assert float(a.min()) >= -1.0 and float(a.max()) <= 1.0
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(a[:, 0], a[:, 2])
    assert float(images[:, 0].max()) == pytest.approx(1.0)


def test_degrade_changes_most_samples_but_keeps_the_ink_darker_than_the_paper(clean_batch) -> None:
    # GIVEN a clean batch and its ink (dark) and paper (white) pixels
    images, _ = clean_batch
    clean = images[:, 0]
    ink, paper = clean < -0.5, clean > 0.9
    # WHEN it is degraded with the share the training uses
    out = degrade(images, torch.Generator().manual_seed(1), share=0.9)[:, 0]
    # THEN most samples differ from their clean print, some pass unchanged (the clean share)
    changed = (out - clean).abs().flatten(1).amax(1) > 0.05
    assert 0.7 < float(changed.float().mean()) < 1.0
    # AND the text stays readable: in nearly every sample its ink is on average darker than its paper
    darker = [float(o[i].mean()) < float(o[p].mean()) - 0.2 for o, i, p in zip(out, ink, paper, strict=True)]
    assert sum(darker) >= 0.9 * len(darker)
    # AND with share 0 nothing changes
    assert torch.equal(degrade(images, torch.Generator().manual_seed(1), share=0.0), images)


def test_degrade_refuses_a_single_image() -> None:
    with pytest.raises(ValueError, match="N x C x H x W"):
        degrade(torch.zeros(3, 32, 128), torch.Generator())
