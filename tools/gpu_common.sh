# Sourced by the tools/gpu_*.sh scripts after they set RES, DEADLINE and LIMIT: the interpreter, a scratch copy of the records,
# the hardware line of timeline.txt, and the two helpers every script times its commands with.
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
left() { local l=$(( DEADLINE - ($(date +%s) - t0) )); echo $(( l > 0 ? l : 0 )); }  # seconds to the deadline, >= 0
