#!/usr/bin/env bash
# The conditional studies on ONE GPU machine (H100/H200 class, 16 CPU cores) inside a 10-minute call.
# Three branches at once: (1) the conditional digits study (a class-conditional U-Net, the digit 3 forgotten, every method),
# GPU_WORKERS processes on the GPU; (2) the conditional toy study's missing runs on CPU_WORKERS CPU cores (its models are tiny);
# (3) the smoke part of the CIFAR-10 class-forgetting protocol (`conditional-cifar10 --preset tiny`: a class-conditional DDPM,
# 'automobile' forgotten) when the CIFAR-10 batches are under data/cifar-10-batches-py (its `verdict` preset, 200,000 training steps
# for the Standard model alone, is a multi-hour run: start it with `msgm verdict conditional-cifar10 --device cuda`, resumable).
# Every `msgm` command skips runs whose record exists, starts no run after DEADLINE seconds and is cut off at LIMIT seconds; a cut-off
# run loses only itself. Existing records are copied in first. Outputs:
#   $RES/verdict_records.tgz  every record (nbs/results/verdict layout; the CIFAR-10 smoke records under smoke/): tools/verdict_import.py
#   $RES/timeline.txt         hardware, each command's exit status and time, then one line per new record
#   $RES/verdict.log          the commands' output
# Usage: bash tools/gpu_conditional.sh [OUT]   (default: $OUT, else runs/gpu_conditional); DEADLINE (default 420), LIMIT (default 540),
# GPU_WORKERS (default 6), CPU_WORKERS (default 8); PYTHON overrides the interpreter.
set -uo pipefail
RES=${1:-${OUT:-runs/gpu_conditional}}
DEADLINE=${DEADLINE:-420}; LIMIT=${LIMIT:-540}; GW=${GPU_WORKERS:-6}; CW=${CPU_WORKERS:-8}
source "$(dirname "$0")/gpu_common.sh"
export OMP_NUM_THREADS=1
V="$PY -m msgm_nb.cli"; common="--out $REC --work $WORK/work --no-progress"
( step conditional-digits $V verdict conditional-digits --device cuda --workers "$GW" --order cheapest --deadline "$(left)" $common ) &
( step conditional-toy $V verdict conditional-toy --device cpu --workers "$CW" --order cheapest --deadline "$(left)" $common ) &
if [ -d data/cifar-10-batches-py ]; then
  ( step conditional-cifar10-tiny $V verdict conditional-cifar10 --preset tiny --seeds 1 --device cuda --deadline "$(left)" \
      --out "$WORK/smoke" --work "$WORK/work" --no-progress ) &  # a smoke test: its records stay out of the verdict folder
else
  echo "[0 s] conditional-cifar10-tiny: skipped (no data/cifar-10-batches-py)" >> "$RES/timeline.txt"
fi
wait
$PY tools/verdict_import.py --timeline "$REC" --since "$stamp" >> "$RES/timeline.txt" 2>&1
tar czf "$RES/verdict_records.tgz" -C "$WORK" verdict $( [ -d "$WORK/smoke" ] && echo smoke )
echo "[$(( $(date +%s) - t0 )) s] done" >> "$RES/timeline.txt"
cat "$RES/timeline.txt"
