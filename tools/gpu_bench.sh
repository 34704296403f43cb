#!/usr/bin/env bash
# The speed benchmarks on ONE GPU inside about 5 minutes: likelihood (toy, 784-D mixture, U-Net bits/dim; msgm_nb against
# score-SDE's scipy recipe at equal accuracy), sampling (samples/s at equal quality, 2-D and 784-D mixtures) and the training
# step (benchmarks/train_step.py). The outputs go to one folder: benchmarks.log (every benchmark's output, one section each) and
# timeline.txt (hardware, each benchmark's exit status and time, the speed-up lines); a failing or slow benchmark is cut off by
# its time limit and recorded, and the others still run.
# Usage: bash tools/gpu_bench.sh [OUT]   (default: $OUT, else runs/gpu_bench); PYTHON overrides the interpreter; needs no data
# beyond scikit-learn's digits.
set -uo pipefail
RES=${1:-${OUT:-runs/gpu_bench}}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
PY=${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}   # the project's environment where there is one
mkdir -p "$RES"
t0=$(date +%s)
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no GPU"
  $PY -c 'import torch, sys; print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.cuda.is_available())'
} > "$RES/timeline.txt" 2>&1
bench() {  # bench NAME SECONDS COMMAND...: run with a time limit, append to benchmarks.log, note the outcome in timeline.txt
  local name=$1 limit=$2; shift 2
  echo "=== $name: $*" >> "$RES/benchmarks.log"
  local s=$(date +%s); timeout "$limit" "$@" >> "$RES/benchmarks.log" 2>&1; local rc=$?
  echo "[$(( $(date +%s) - t0 )) s] $name: exit $rc after $(( $(date +%s) - s )) s (limit $limit s): $*" >> "$RES/timeline.txt"
}
bench likelihood_toy        45 $PY benchmarks/likelihood.py --case toy --device cuda --repeats 2
bench likelihood_toy_vp     30 $PY benchmarks/likelihood.py --case toy --sde vp --device cuda --repeats 1
bench likelihood_mixture784 60 $PY benchmarks/likelihood.py --case mixture784 --device cuda
bench likelihood_unet       70 $PY benchmarks/likelihood.py --case unet --device cuda
bench sampling_2d           20 $PY benchmarks/sampling.py --device cuda
bench sampling_784d         25 $PY benchmarks/sampling.py --device cuda --dim 784 --n 20000
bench train_step            30 $PY benchmarks/train_step.py --device cuda
grep -h "^=== likelihood\|best speed-up" "$RES/benchmarks.log" >> "$RES/timeline.txt"
echo "[$(( $(date +%s) - t0 )) s] done" >> "$RES/timeline.txt"
cat "$RES/timeline.txt"
