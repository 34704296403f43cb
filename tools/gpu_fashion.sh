#!/usr/bin/env bash
# Fashion-MNIST (VP SDE, forget Trouser + Sneaker), every method of tools/gpu_fashion.json, on ONE GPU inside one
# 10-minute device lease: the from-scratch methods train in parallel processes (small U-Nets leave an H100 mostly idle,
# so processes overlap), then the fine-tunes, then each method is evaluated in its own process, then `msgm eval`
# gathers everything from the cache into results.json + samples.png.
# Usage: bash tools/gpu_fashion.sh [CONFIG] [CACHE] [OUT]   (defaults: tools/gpu_fashion.json runs/fashion_mnist-gpu $OUT or runs/gpu_fashion_out)
# Data: Fashion-MNIST's four .gz files in $FMNIST_GZ (default /usr/share/datasets/fashion-mnist, Debian's package).
set -euo pipefail
CFG=${1:-tools/gpu_fashion.json}; CACHE=${2:-runs/fashion_mnist-gpu}; RES=${3:-${OUT:-runs/gpu_fashion_out}}
GZ=${FMNIST_GZ:-/usr/share/datasets/fashion-mnist}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
mkdir -p "$RES" "$CACHE/logs" data/FashionMNIST/raw
msgm() { python3 -c 'import sys; from msgm_nb.cli import main; sys.exit(main(sys.argv[1:]))' "$@"; }
t0=$(date +%s); stamp() { echo "[$(( $(date +%s) - t0 )) s] $*" | tee -a "$RES/timeline.txt"; }
for f in "$GZ"/*-ubyte.gz; do b=$(basename "$f" .gz); [ -f data/FashionMNIST/raw/$b ] || gunzip -c "$f" > data/FashionMNIST/raw/$b; done
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no GPU"; } > "$RES/timeline.txt"
python3 -c 'import torch, torchvision, sys; print("python", sys.version.split()[0], "torch", torch.__version__, "torchvision", torchvision.__version__, "cuda", torch.cuda.is_available())' | tee -a "$RES/timeline.txt"
stamp "setup: cache config + classifier"
python3 - "$CFG" "$CACHE" <<'PY'
import json, sys, torch
from msgm_nb.images import ImageConfig, load_image_data
from msgm_nb.cache import get_classifier, check_cache
cfg = ImageConfig.from_dict(json.loads(open(sys.argv[1]).read()))
check_cache(__import__('pathlib').Path(sys.argv[2]), cfg)   # written once, before the parallel processes read it
clf, acc = get_classifier(cfg, sys.argv[2], progress=False)
print(f'classifier test accuracy {acc:.4f}')
PY
run_phase() {  # run_phase NAME SUBCOMMAND METHOD... : one process per method, wait for all, fail if any failed
  local name=$1 sub=$2; shift 2; local pids=() m
  stamp "$name: $*"
  for m in "$@"; do msgm "$sub" --config "$CFG" --cache "$CACHE" --methods "$m" --out "$CACHE/logs/$sub-$m" --no-progress > "$CACHE/logs/$sub-$m.log" 2>&1 & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || { stamp "$name FAILED"; tail -n 30 "$CACHE"/logs/*.log; exit 1; }; done
  stamp "$name done"
}
scratch=(); ft=()
for m in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["methods"]))' "$CFG"); do
  case $m in ft_*) ft+=("$m");; *) scratch+=("$m");; esac; done
run_phase "train from scratch" train "${scratch[@]}"
[ ${#ft[@]} -eq 0 ] || run_phase "fine-tune" train "${ft[@]}"
run_phase "evaluate" eval "${scratch[@]}" "${ft[@]}"
stamp "gather"
msgm eval --config "$CFG" --cache "$CACHE" --out "$RES" --no-progress > "$CACHE/logs/eval-all.log" 2>&1
tail -n 12 "$CACHE/logs/eval-all.log"
python3 - "$CFG" "$CACHE" "$RES" <<'PY'
# bring-back files: samples as uint8 (npz) and each method's EMA weights (safetensors, tarred in groups under 16 MB)
import json, sys, tarfile, numpy as np, torch
from pathlib import Path
from safetensors.torch import save_file
from msgm_nb.images import ImageConfig, make_model
from msgm_nb.train import latest_checkpoint, load_checkpoint
from msgm_nb.sde import VPSDE
cfg = ImageConfig.from_dict(json.loads(open(sys.argv[1]).read())); cache, res = Path(sys.argv[2]), Path(sys.argv[3])
arrs, wdir = {}, cache / 'weights'; wdir.mkdir(exist_ok=True)
for m in cfg.methods:
    pts = sorted((cache / m / 'eval').glob('*.pt'))
    if pts: arrs[m] = ((torch.load(pts[-1]).clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
    model = make_model(cfg, (1, 28, 28), VPSDE()); load_checkpoint(latest_checkpoint(cache / m), model=model, use_ema=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(wdir / f'{m}.safetensors'))
np.savez_compressed(res / 'samples_uint8.npz', **arrs)
ms = list(cfg.methods)
for i in range(0, len(ms), 3):
    with tarfile.open(res / f'weights_{i // 3}.tar', 'w') as t:
        for m in ms[i:i + 3]: t.add(wdir / f'{m}.safetensors', arcname=f'{m}.safetensors')
with tarfile.open(res / 'logs.tar.gz', 'w:gz') as t:
    t.add(cache / 'logs', arcname='logs')
    for m in ms:
        for f in [cache / m / 'train_info.json', *(cache / m / 'eval').glob('*.json')]:
            if f.exists(): t.add(f, arcname=f'{m}/{f.name}')
PY
stamp "all done"
ls -la "$RES"
