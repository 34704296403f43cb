#!/usr/bin/env bash
# The missing verdict records on ONE GPU machine (H100/H200 class, 16 CPU cores) inside a 10-minute call.
# Order: the digits convergence rungs (VE, then DDPM) and the digits verdict runs share the GPU (several processes at once: the models
# are small), while the toy and leaderboard-toy runs use the CPU cores. Every `msgm` command skips runs whose record exists, starts no
# run after DEADLINE seconds and is cut off at LIMIT seconds; a cut-off run loses only itself. Existing records are copied in first, so
# only missing runs run. Outputs (at most 8 files come back from a device call, so the records travel as one archive):
#   $RES/verdict_records.tgz  every record (plain JSON, nbs/results/verdict layout): unpack with tools/verdict_import.py
#   $RES/timeline.txt         hardware, each command's exit status and time, then one line per new record (start, seconds, row)
#   $RES/verdict.log          the commands' output
# Usage: bash tools/gpu_verdict.sh [OUT]   (default: $OUT, else runs/gpu_verdict); DEADLINE (default 420), LIMIT (default 540),
# GPU_WORKERS (default 6), CPU_WORKERS (default 10); PYTHON overrides the interpreter. Needs no data beyond scikit-learn's digits.
set -uo pipefail
RES=${1:-${OUT:-runs/gpu_verdict}}
DEADLINE=${DEADLINE:-420}; LIMIT=${LIMIT:-540}; GW=${GPU_WORKERS:-6}; CW=${CPU_WORKERS:-10}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
PY=${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}
WORK=$(mktemp -d); REC=$WORK/verdict; mkdir -p "$RES" "$REC"; cp -r nbs/results/verdict/. "$REC"/ 2>/dev/null
t0=$(date +%s); stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no GPU"
  $PY -c 'import torch, sys; print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.cuda.is_available())'
} > "$RES/timeline.txt" 2>&1
step() {  # step NAME COMMAND...: run with the time limit left, log it, note the outcome in timeline.txt
  local name=$1; shift; local left=$(( LIMIT - ($(date +%s) - t0) ))
  [ "$left" -gt 20 ] || { echo "[$(( $(date +%s) - t0 )) s] $name: skipped (no time left)" >> "$RES/timeline.txt"; return; }
  echo "=== $name: $*" >> "$RES/verdict.log"
  local s=$(date +%s); timeout "$left" "$@" >> "$RES/verdict.log" 2>&1; local rc=$?
  echo "[$(( $(date +%s) - t0 )) s] $name: exit $rc after $(( $(date +%s) - s )) s: $*" >> "$RES/timeline.txt"
}
left() { echo $(( DEADLINE - ($(date +%s) - t0) )); }
V="$PY -m msgm_nb.cli"; common="--out $REC --work $WORK/work --no-progress"
( step toy $V verdict toy --device cpu --workers "$CW" --deadline "$(left)" $common ) &
( step converge-digits $V converge digits --device cuda --workers 2 --budgets 1,2,4,8 --deadline "$(left)" $common
  step converge-digits-ddpm $V converge digits-ddpm --device cuda --workers 2 --budgets 1,2,4,8 --deadline "$(left)" $common
  step digits $V verdict digits --device cuda --workers "$GW" --deadline "$(left)" $common ) &
wait
step leaderboard $V verdict leaderboard --device cpu --workers "$CW" --deadline "$(left)" $common
$PY tools/verdict_import.py --timeline "$REC" --since "$stamp" >> "$RES/timeline.txt" 2>&1
tar czf "$RES/verdict_records.tgz" -C "$WORK" verdict
echo "[$(( $(date +%s) - t0 )) s] done" >> "$RES/timeline.txt"
cat "$RES/timeline.txt"
