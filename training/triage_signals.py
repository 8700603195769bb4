"""Per-word signals of the model for triage: calibrated confidences, margins, and the
refinement pass set against the first (autoregressive) pass.

The released ONNX model outputs the refined logits only; :func:`with_first_pass` derives, in a
temporary file, a copy that also outputs the first pass (the concatenation of the 26
autoregressive head outputs), so the two readings can be compared without re-exporting.
"""

from __future__ import annotations

import itertools
import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from inference.decoding import softmax
from inference.documents import to_gray
from inference.preprocess import resize_normalise
from inference.spec import ModelSpec, load_spec


@dataclass(frozen=True, slots=True)
class WordSignals:
    text: str
    raw: tuple[float, ...]  # per character, temperature 1
    calibrated: tuple[float, ...]  # per character, at the fitted temperature
    margins: tuple[float, ...]  # best - second-best probability per character (calibrated)
    first_pass: str | None  # the autoregressive pass before refinement, when exposed
    first_pass_probs: tuple[float, ...]  # first-pass probability of each final character
    eos: float  # probability of the end of the word where the model ended it

    @property
    def refine_disagrees(self) -> bool:
        return self.first_pass is not None and self.first_pass != self.text


def with_first_pass(model: Path, out_dir: Path) -> Path | None:
    """A copy of ``model`` that also outputs the first-pass logits, or None when the graph has
    no recognisable first pass (needs the ``onnx`` package of the training extra)."""
    try:
        import onnx
    except ImportError:
        return None
    proto = onnx.load(str(model))
    first = next(
        (n.output[0] for n in proto.graph.node if n.op_type == "Concat" and "/head/Add_output_0" in n.input), None
    )
    if first is None:
        return None
    proto.graph.output.append(onnx.helper.make_tensor_value_info(first, onnx.TensorProto.FLOAT, None))
    path = out_dir / "with-first-pass.onnx"
    onnx.save(proto, str(path))
    return path


class SignalReader:
    """Reads word crops with ONNX Runtime and returns :class:`WordSignals` for each."""

    def __init__(self, model: Path, *, temperature: float = 1.0, threads: int = 0, batch_size: int = 32) -> None:
        import onnxruntime as ort

        self.spec: ModelSpec = load_spec(model)
        self.temperature = temperature
        self.batch_size = batch_size
        self._tmp = tempfile.TemporaryDirectory(prefix="notelasso-triage-")
        path = with_first_pass(model, Path(self._tmp.name)) or model
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        if threads:
            opts.intra_op_num_threads = threads
        self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.has_first_pass = len(self._session.get_outputs()) > 1

    def close(self) -> None:
        self._tmp.cleanup()

    def logits(self, crops: Sequence[np.ndarray]) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32] | None]:
        """(final, first-pass or None) logits, (N, steps, classes)."""
        finals, firsts = [], []
        for start in range(0, len(crops), self.batch_size):
            batch = np.stack([resize_normalise(to_gray(c), self.spec) for c in crops[start : start + self.batch_size]])
            outs = self._session.run(None, {self.spec.input_name: batch})
            finals.append(outs[0])
            if self.has_first_pass:
                firsts.append(outs[1])
        final = np.concatenate(finals) if finals else np.zeros((0, 1, 1), np.float32)
        return final, (np.concatenate(firsts) if firsts else None)

    def read(self, crops: Sequence[np.ndarray]) -> list[WordSignals]:
        final, first = self.logits(crops)
        return signals_from_logits(final, first, self.spec, self.temperature)


def _text(ids: np.ndarray, spec: ModelSpec) -> tuple[str, int]:
    eos = np.flatnonzero(ids == spec.eos_id)
    end = int(eos[0]) if eos.size else len(ids)
    return "".join(spec.charset[i - 1] for i in ids[:end]), end


def signals_from_logits(
    final: npt.NDArray[np.float32], first: npt.NDArray[np.float32] | None, spec: ModelSpec, temperature: float = 1.0
) -> list[WordSignals]:
    raw = softmax(final.astype(np.float32).copy())
    cal = softmax((final / temperature).astype(np.float32))
    ids = raw.argmax(-1)
    top2 = np.sort(cal, axis=-1)[..., -2:]
    first_probs = softmax(first.astype(np.float32).copy()) if first is not None else None
    out = []
    for n in range(len(final)):
        text, end = _text(ids[n], spec)
        steps = np.arange(end)
        fp_text: str | None = None
        fp: tuple[float, ...] = ()
        if first_probs is not None:
            fp_text, _ = _text(first_probs[n].argmax(-1), spec)
            fp = tuple(float(p) for p in first_probs[n][steps, ids[n][:end]])
        eos = float(cal[n][end, spec.eos_id]) if end < final.shape[1] else 1.0
        out.append(
            WordSignals(
                text,
                tuple(float(p) for p in raw[n][steps, ids[n][:end]]),
                tuple(float(p) for p in cal[n][steps, ids[n][:end]]),
                tuple(float(a - b) for b, a in top2[n][:end]),
                fp_text,
                fp,
                eos,
            )
        )
    return out


def fit_temperature(
    final: npt.NDArray[np.float32], truths: Sequence[str], spec: ModelSpec, grid: Sequence[float] | None = None
) -> tuple[float, dict[float, float]]:
    """The temperature minimising the negative log-likelihood of the true characters (and the
    end of the word) where the reading has the truth's length, on GENERATED words (never FUNSD);
    also the NLL at each temperature tried."""
    grid = list(grid or [round(0.5 + 0.1 * i, 2) for i in range(46)])
    index = {c: i + 1 for i, c in enumerate(spec.charset)}
    rows, cols, steps = [], [], []
    ids = final.argmax(-1)
    for n, truth in enumerate(truths):
        text, _ = _text(ids[n], spec)
        if len(text) != len(truth) or any(c not in index for c in truth) or len(truth) >= final.shape[1]:
            continue
        for k, c in enumerate(truth):
            rows.append(n)
            steps.append(k)
            cols.append(index[c])
        rows.append(n)
        steps.append(len(truth))
        cols.append(spec.eos_id)
    if not rows:
        return 1.0, {}
    picked = final[rows, steps]  # (M, classes)
    target = np.asarray(cols)
    nll = {}
    for t in grid:
        z = picked / t
        z = z - z.max(-1, keepdims=True)
        logp = z[np.arange(len(z)), target] - np.log(np.exp(z).sum(-1))
        nll[t] = float(-logp.mean())
    best = min(nll, key=lambda t: nll[t])
    return best, nll


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """ECE of word confidences against word correctness (equal-width bins)."""
    if not confidences:
        return math.nan
    c = np.asarray(confidences)
    y = np.asarray(correct, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in itertools.pairwise(edges):
        sel = (c > lo) & (c <= hi) if lo > 0 else (c >= lo) & (c <= hi)
        if sel.any():
            ece += sel.mean() * abs(c[sel].mean() - y[sel].mean())
    return float(ece)


def word_features(sig: WordSignals, shape: bool) -> list[float]:
    """What the learned word score looks at: the signals of one word, each in [0, 1]-ish."""
    cal = sig.calibrated or (1.0,)
    return [
        1 - min(cal),
        float(np.mean([1 - c for c in cal])),
        1 - min(sig.margins, default=1.0),
        1 - min(sig.first_pass_probs, default=1.0) if sig.first_pass is not None else 0.0,
        1.0 if sig.refine_disagrees else 0.0,
        1 - sig.eos,
        1.0 if shape else 0.0,
        min(len(sig.text), 20) / 10,
    ]


def fit_logistic(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], l2: float = 1e-2) -> npt.NDArray[np.float64]:
    """Weights (bias last) of a logistic regression of ``y`` (word wrong) on ``x``, by Newton's
    method with a small L2 penalty. Fitted on GENERATED words only."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    for _ in range(30):
        p = 1 / (1 + np.exp(-np.clip(xb @ w, -30, 30)))
        grad = xb.T @ (p - y) + l2 * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + l2 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w


def predict_logistic(w: npt.NDArray[np.float64], x: Sequence[float]) -> float:
    z = float(np.dot(w[:-1], x) + w[-1])
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))
