"""Scan and fax degradations applied to a batch on the training device (the GPU), not in the workers.

With ``notelasso-train train --device-degrade`` the data workers render words as clean ink on paper
(``WordRenderer(device_degrade=True)``: geometry only, at the scan resolution) and this module
degrades the whole batch at the model's input size, where it costs a few kernel launches: paper
and ink levels, uneven illumination, ink bleed and thinning, resolution loss (down and up again),
blur, sensor noise, fax thresholding and specks. Each sample draws its own degradations; the
random numbers come from a CPU generator (reproducible for a seed whatever the device) and only
the small parameter tensors travel to the device.

The batch is the model input: float, N x C x H x W, in [-1, 1] (paper light, ink dark; all
channels equal). What it leaves out compared with the workers' own pipeline: JPEG blocking.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

#: blur widths (in input pixels) and resolution-loss factors: each sample takes one of them, so a
#: batch needs only a few convolutions and resizes whatever its size
BLUR_SIGMAS = (0.5, 0.8, 1.1)
SCALES = (1.4, 1.8, 2.4)


def _uniform(gen: torch.Generator, n: int, lo: float, hi: float) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=gen)


def _chance(gen: torch.Generator, n: int, p: float) -> torch.Tensor:
    return torch.rand(n, generator=gen) < p


def _gaussian_kernel(sigma: float, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    radius = max(1, round(2.5 * sigma))
    x = torch.arange(-radius, radius + 1, device=device, dtype=dtype)
    k = torch.exp(-(x**2) / (2 * sigma**2))
    return k / k.sum()


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    k = _gaussian_kernel(sigma, x.device, x.dtype)
    r = (k.numel() - 1) // 2
    y = F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1))
    return F.conv2d(F.pad(y, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1))


def _pick(x: torch.Tensor, rows: torch.Tensor, op: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """``op`` applied to the samples in ``rows`` (a bool mask); the others unchanged."""
    if not bool(rows.any()):
        return x
    out = x.clone()
    idx = rows.nonzero().squeeze(1).to(x.device)
    out[idx] = op(x[idx])
    return out


@torch.no_grad()
def degrade(images: torch.Tensor, gen: torch.Generator, share: float = 0.9) -> torch.Tensor:
    """A degraded copy of ``images`` (N x C x H x W in [-1, 1]); ``share`` of the samples are
    degraded, the others pass through unchanged (clean prints, as ``--plain`` keeps some)."""
    if images.ndim != 4:
        raise ValueError(f"expected a batch N x C x H x W, got shape {tuple(images.shape)}")
    n, c, h, w = images.shape
    dev, dtype = images.device, images.dtype
    x = images[:, :1].float()
    todo = _chance(gen, n, share)

    def param(t: torch.Tensor) -> torch.Tensor:
        return t.to(dev).view(n, 1, 1, 1)

    # Ink bleed (toner spreading: dark wins over a 2-pixel window) or thinning (light wins).
    bleed, thin = _chance(gen, n, 0.2) & todo, _chance(gen, n, 0.1) & todo
    spread = torch.minimum(x, F.pad(x, (1, 0, 0, 0), mode="replicate")[..., :w])
    thinned = torch.maximum(x, F.pad(x, (1, 0, 0, 0), mode="replicate")[..., :w])
    x = torch.where(param(bleed), spread, x)
    x = torch.where(param(thin & ~bleed), thinned, x)

    # Resolution loss: down by a factor and back up (smooth, or blocky as an upscaled fax).
    which = torch.randint(0, len(SCALES), (n,), generator=gen)
    lossy = _chance(gen, n, 0.35) & todo
    blocky = _chance(gen, n, 0.3)
    for i, f in enumerate(SCALES):
        for nearest in (False, True):
            rows = lossy & (which == i) & (blocky == nearest)
            size = (max(4, round(h / f)), max(4, round(w / f)))
            mode = "nearest" if nearest else "bilinear"

            def resample(t: torch.Tensor, size: tuple[int, int] = size, mode: str = mode) -> torch.Tensor:
                small = F.interpolate(t, size=size, mode="area")
                kwargs = {} if mode == "nearest" else {"align_corners": False}
                return F.interpolate(small, size=(h, w), mode=mode, **kwargs)

            x = _pick(x, rows, resample)

    # Paper and ink levels (x in [-1, 1] -> [ink, paper]) and uneven illumination.
    paper = torch.where(_chance(gen, n, 0.85), _uniform(gen, n, 0.57, 1.0), _uniform(gen, n, 0.18, 0.65))
    ink = _uniform(gen, n, -1.0, -0.3)
    paper, ink = torch.where(todo, paper, torch.ones(n)), torch.where(todo, ink, -torch.ones(n))
    x = param(ink) + (x + 1) / 2 * (param(paper) - param(ink))
    lit = (_chance(gen, n, 0.4) & todo).float()
    gx = torch.linspace(-1, 1, w, device=dev).view(1, 1, 1, w)
    gy = torch.linspace(-1, 1, h, device=dev).view(1, 1, h, 1)
    x = x + param(lit * _uniform(gen, n, -0.24, 0.24)) * gx + param(lit * _uniform(gen, n, -0.24, 0.24)) * gy

    # Sensor noise, then blur.
    noisy = (_chance(gen, n, 0.5) & todo).float() * _uniform(gen, n, 0.015, 0.1)
    noise = torch.randn((n, 1, h, w), generator=gen).to(dev)
    x = x + param(noisy) * noise
    which = torch.randint(0, len(BLUR_SIGMAS), (n,), generator=gen)
    blurred = _chance(gen, n, 0.35) & todo
    for i, sigma in enumerate(BLUR_SIGMAS):

        def blur(t: torch.Tensor, s: float = sigma) -> torch.Tensor:
            return _blur(t, s)

        x = _pick(x, blurred & (which == i), blur)

    # Fax / photocopier thresholding between the sample's ink and paper.
    fax = param(_chance(gen, n, 0.2) & todo)
    thr = param(ink) + param(_uniform(gen, n, 0.45, 0.8)) * (param(paper) - param(ink))
    x = torch.where(fax & (x < thr), param(ink), torch.where(fax, torch.ones_like(x), x))

    # Specks: salt and pepper.
    specks = param(_chance(gen, n, 0.3) & todo)
    rate = param(_uniform(gen, n, 0.002, 0.03))
    u = torch.rand((n, 1, h, w), generator=gen).to(dev)
    x = torch.where(specks & (u < rate / 2), torch.full_like(x, -0.8), x)
    x = torch.where(specks & (u > 1 - rate / 2), torch.ones_like(x), x)

    return x.clamp(-1, 1).expand(n, c, h, w).to(dtype).contiguous()
