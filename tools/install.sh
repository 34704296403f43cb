#!/usr/bin/env bash
# `make install`: the project's environment in .venv, plus the Debian packages it uses.
# Idempotent: a second run with nothing changed takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

# 1. Debian packages: real Fashion-MNIST, a local MathJax for the offline docs, and chromium for the docs check (tests/test_docs.py).
DEB_PKGS="dataset-fashion-mnist libjs-mathjax chromium"
missing=""
for p in $DEB_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -z "$missing" ]; then
  echo "install: Debian packages present ($DEB_PKGS)"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "install: apt-get install$missing"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; } >/tmp/msgm_nb_apt.log 2>&1; then
    echo "install: WARNING apt-get failed for$missing (see /tmp/msgm_nb_apt.log); Fashion-MNIST runs and offline math in the docs need them"
  fi
else
  echo "install: SKIPPED Debian packages$missing (needs root and apt-get)."
  echo "         Without dataset-fashion-mnist the Fashion-MNIST notebook cannot run; without libjs-mathjax"
  echo "         'make docs' renders math only where Quarto is installed; without chromium the docs check is skipped."
  echo "         Install them with: sudo apt-get install$missing"
fi

# 2. Python environment. torch and torchvision are pinned as a matching pair in settings.ini.
if [ ! -x .venv/bin/python ]; then
  echo "install: creating .venv with $($PY --version)"
  $PY -m venv .venv
fi
echo "install: pip install -e .[dev,hub] (torch==2.14.1 + torchvision==0.29.1, the design card's stack, and diffusers for msgm_nb.hub)"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev,hub]" --config-settings editable_mode=compat
.venv/bin/python - <<'PY'
import torch, torchvision, torchdiffeq, open_clip, nbdev, diffusers, msgm_nb
print(f"install: ok  torch {torch.__version__}  torchvision {torchvision.__version__}  nbdev {nbdev.__version__}  diffusers {diffusers.__version__}  msgm_nb {msgm_nb.__version__}")
PY
