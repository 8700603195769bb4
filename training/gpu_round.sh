#!/usr/bin/env bash
# One GPU round in one device call, start to finish: train from INIT for MINUTES, then pack the
# best checkpoint's weights as fp16 files (<= 15 MiB each) under OUT/weights, which the device
# tool brings back (unpack here: python -m training.pack_weights unpack OUT/weights best.pt).
# The carried fonts and word lists (.assets, see README) are installed first on a bare machine.
#
# Usage: training/gpu_round.sh OUT MINUTES INIT [notelasso-train train args...]
# INIT is a checkpoint, or a folder of fp16 parts (training/gpu_assets.sh packs one into .assets/init).
# The round of the region-accuracy work (phrases with spaces; data rendered on the GPU machine's 16
# cores, degraded on the GPU, bf16):
#   training/gpu_assets.sh runs/p1/best.pt      # here, once: .assets/ (fonts, words, fp16 init)
#   training/gpu_round.sh "$OUT" 9 .assets/init --preset parseq-tiny --set enc_depth=6 \
#     --phrases 0.5 --plain 0.25 --ctc-weight 0.5 --batch-size 256 --lr 5e-4 --warmup 0.05 \
#     --workers 15 --val-every 3 --val-size 2000 --seed 4711 --device-degrade
set -euo pipefail
out=$1; minutes=$2; init=$3; shift 3
python=${PYTHON:-python3}
if [ -d .assets ]; then
  mkdir -p /usr/share/fonts /usr/share/dict /usr/share/hunspell
  cp -rn .assets/fonts/. /usr/share/fonts/
  cp -n .assets/dict/* /usr/share/dict/ 2>/dev/null || true
  cp -n .assets/hunspell/* /usr/share/hunspell/ 2>/dev/null || true
fi
run=${RUN_DIR:-runs/gpu-round}
mkdir -p "$out" "$run"
if [ -d "$init" ]; then
  "$python" -m training.pack_weights unpack "$init" "$run/init.pt"
  init=$run/init.pt
fi
echo "notelasso-train train --out $run --minutes $minutes --init $init $*" > "$out/command.txt"
status=0
PYTHONUNBUFFERED=1 "$python" -m training.cli train --out "$run" --minutes "$minutes" --init "$init" "$@" \
  > "$out/train.log" 2>&1 || status=$?
grep '^VAL' "$out/train.log" > "$out/curve.txt" || true
if [ ! -f "$run/best.pt" ]; then
  echo "training wrote no checkpoint (exit $status); the end of its log:" >&2
  tail -n 40 "$out/train.log" >&2
  exit 1
fi
"$python" -m training.pack_weights pack "$run/best.pt" "$out/weights"
echo "packed $run/best.pt into $out/weights (training exit $status)"
exit "$status"
