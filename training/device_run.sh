#!/usr/bin/env bash
# Start a training run on a bare GPU machine: install the carried fonts and word lists where
# the renderer and corpus look for them, then train in the background (setsid) so the run
# outlives the command that started it. Usage: training/device_run.sh RUN_DIR MINUTES [train args...]
set -euo pipefail
run_dir=$1; minutes=$2; shift 2
if [ -d .assets ]; then
  mkdir -p /usr/share/fonts /usr/share/dict /usr/share/hunspell
  cp -rn .assets/fonts/. /usr/share/fonts/
  cp -n .assets/dict/* /usr/share/dict/
  cp -n .assets/hunspell/* /usr/share/hunspell/
fi
mkdir -p "$run_dir"
echo "notelasso-train train --out $run_dir --minutes $minutes $*" > "$run_dir/command.txt"
PYTHONUNBUFFERED=1 setsid nohup python3 -m training.cli train --out "$run_dir" --minutes "$minutes" "$@" \
  > "$run_dir/train.log" 2>&1 < /dev/null &
echo "started training in $run_dir (pid $!)"
