#!/usr/bin/env bash
# Gather what a bare GPU machine needs for training/gpu_round.sh into .assets/ (git-ignored, to
# be named in the device tool's `carry`): the fonts the renderer uses, the word lists, and the
# starting weights packed as fp16 (a third of the fp32 checkpoint, so all of it fits the
# 64 MiB a call may carry). Usage: training/gpu_assets.sh INIT_CHECKPOINT
set -euo pipefail
init=$1
python=${PYTHON:-.venv/bin/python}
rm -rf .assets && mkdir -p .assets/fonts .assets/dict .assets/hunspell
"$python" - <<'PY'
import shutil
from pathlib import Path
from training.render import FONT_ROOT, discover_fonts
for path in discover_fonts(include_heldout=False):
    dest = Path(".assets/fonts") / path.relative_to(FONT_ROOT)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, dest)
PY
cp /usr/share/dict/american-english .assets/dict/
cp /usr/share/hunspell/*med*.dic .assets/hunspell/
"$python" -m training.pack_weights pack "$init" .assets/init >/dev/null
du -sh .assets
