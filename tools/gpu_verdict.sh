#!/usr/bin/env bash
# The missing verdict records on ONE GPU machine (H100/H200 class, 16 CPU cores) inside a 10-minute call.
# Four branches at once: (1) the digits convergence rungs (VE, then DDPM), then the digits verdict runs of each SDE whose study chose the
# preset's budget, GPU_WORKERS processes on the
# GPU (the models are small; one CPU thread each); (2) the toy verdict runs, TOY_WORKERS processes on the GPU; (3) the toy leaderboard
# on CPU_WORKERS CPU cores (its runner trains on the CPU), after its fine-tuning budget study; (4) the digits leaderboard, after its
# fine-tuning budget study, GPU_WORKERS processes training on the GPU (Standard / Unseen of each seed, the fine-tuning) and evaluating
# on one CPU thread each; the runs of one seed wait while one of them makes the seed's Standard model. A verdict set runs only where its convergence
# study has chosen the budget its `verdict` preset holds (else the study's records come back and the preset is updated first). Every `msgm` command skips runs whose record exists, starts no
# run after DEADLINE seconds and is cut off at LIMIT seconds; a cut-off run loses only itself. Existing records are copied in first, so
# only missing runs run. Outputs (at most 8 files come back from a device call, so the records travel as one archive):
#   $RES/verdict_records.tgz  every record (plain JSON, nbs/results/verdict layout): unpack with tools/verdict_import.py
#   $RES/timeline.txt         hardware, each command's exit status and time, then one line per new record (start, seconds, row)
#   $RES/verdict.log          the commands' output
# Usage: bash tools/gpu_verdict.sh [OUT]   (default: $OUT, else runs/gpu_verdict); DEADLINE (default 420), LIMIT (default 540),
# GPU_WORKERS (default 6), TOY_WORKERS (default 4), CPU_WORKERS (default 6); PYTHON overrides the interpreter. Needs no data beyond scikit-learn's digits.
set -uo pipefail
RES=${1:-${OUT:-runs/gpu_verdict}}
DEADLINE=${DEADLINE:-420}; LIMIT=${LIMIT:-540}; GW=${GPU_WORKERS:-6}; TW=${TOY_WORKERS:-4}; CW=${CPU_WORKERS:-6}
source "$(dirname "$0")/gpu_common.sh"
agrees() {  # agrees SET...: the verdict preset's budget is the one the convergence studies of SET... chose (the largest of them)
  $PY - "$REC" "$@" <<'PY'
import json, sys
from pathlib import Path
from msgm_nb.images import DIGITS_VERDICT_STEPS
from msgm_nb.leaderboard import LeaderboardConfig
rec, sets = Path(sys.argv[1]), sys.argv[2:]
chosen = [json.loads((rec / f'converge-{s}.json').read_text())['chosen'] if (rec / f'converge-{s}.json').exists() else None for s in sets]
lb = LeaderboardConfig.preset('verdict')
preset = DIGITS_VERDICT_STEPS if sets[0].startswith('digits') else lb.digits_steps if sets[0] == 'leaderboard-digits' else lb.steps
cap = [json.loads((rec / f'converge-{s}.json').read_text())['rows'] if (rec / f'converge-{s}.json').exists() else [] for s in sets]
capped = [c is None and r and all(x['complete'] for x in r) and r[-1]['doubled'] == preset for c, r in zip(chosen, cap)]   # the study reached its cap
ok = all(c is not None or k for c, k in zip(chosen, capped)) and max(c if c is not None else preset for c in chosen) == preset
print(f"{' '.join(sets)}: chosen {chosen}, verdict preset {preset}: " + ('agrees' if ok else 'differs or undecided: verdict runs skipped'))
sys.exit(0 if ok else 1)
PY
}
V="$PY -m msgm_nb.cli"; common="--out $REC --work $WORK/work --no-progress"
( step toy $V verdict toy --device cuda --workers "$TW" --deadline "$(left)" $common ) &
( step converge-leaderboard-toy $V converge leaderboard-toy --device cpu --workers "$CW" --budgets 1,2,4,8 --deadline "$(left)" $common
  agrees leaderboard-toy >> "$RES/timeline.txt" && step leaderboard-toy $V verdict leaderboard --tables leaderboard-toy --device cpu --workers "$CW" --deadline "$(left)" $common ) &
( step converge-leaderboard-digits $V converge leaderboard-digits --device cuda --workers "$GW" --budgets 1,2,4,8 --deadline "$(left)" $common
  agrees leaderboard-digits >> "$RES/timeline.txt" && step leaderboard-digits $V verdict leaderboard --tables leaderboard-digits --device cuda --workers "$GW" --deadline "$(left)" $common ) &
( step converge-digits-ve $V converge digits-ve --device cuda --workers 2 --budgets 1,2,4,8,16 --deadline "$(left)" $common
  step converge-digits-ddpm $V converge digits-ddpm --device cuda --workers 2 --budgets 1,2,4,8,16 --deadline "$(left)" $common
  # each table runs where its own study chose the preset's budget: VE's rows need not wait for DDPM's study
  for t in digits-ve digits-ddpm; do
    agrees $t >> "$RES/timeline.txt" && step verdict-$t $V verdict $t --device cuda --workers "$GW" --deadline "$(left)" $common
  done ) &
wait
$PY tools/verdict_import.py --timeline "$REC" --since "$stamp" >> "$RES/timeline.txt" 2>&1
tar czf "$RES/verdict_records.tgz" -C "$WORK" verdict
echo "[$(( $(date +%s) - t0 )) s] done" >> "$RES/timeline.txt"
cat "$RES/timeline.txt"
