from __future__ import annotations

import re

import inference.vocabulary as vocabulary
from training.vocabulary_fit import MODEL, sweep

ROW = re.compile(r"MIN_RATIO (\S+) +exact (\S+) +changed +(\d+) +fixed +(\d+) +broke +(\d+)")


def test_the_sweep_reads_generated_words_once_and_scores_each_ratio() -> None:
    chosen = vocabulary.MIN_RATIO
    lines = sweep(MODEL, 40, seed=3, ratios=(0.05, 0.5))
    assert lines[0].startswith("generated words: 40 (seed 3)")
    rows = [ROW.fullmatch(line.strip()) for line in lines[1:]]
    assert [m.group(1) if m else None for m in rows] == ["0.05", "0.5"]
    counts = [(float(m.group(2)), int(m.group(3)), int(m.group(4)), int(m.group(5))) for m in rows if m]
    for exact, changed, fixed, broke in counts:
        assert 0.0 <= exact <= 1.0
        assert fixed + broke <= changed
    # a lower ratio changes at least the words a higher one changes
    assert counts[0][1] >= counts[1][1]
    # the module's own setting is left as it was
    assert chosen == vocabulary.MIN_RATIO
