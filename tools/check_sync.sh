#!/usr/bin/env bash
# Fails when nbdev_export or nbdev_clean would change a notebook or a module:
# msgm_nb/ must be exactly what the notebooks export, and the notebooks must be clean.
set -euo pipefail
cd "$(dirname "$0")/.."
snap() { find nbs msgm_nb -type f \( -name '*.ipynb' -o -name '*.py' \) -not -path '*/.ipynb_checkpoints/*' -not -path '*/__pycache__/*' | sort | xargs sha1sum; }
before=$(snap)
.venv/bin/nbdev_export
.venv/bin/nbdev_clean
after=$(snap)
if [ "$before" != "$after" ]; then
  echo "check_sync: FAILED - nbdev_export / nbdev_clean changed these files (now rewritten; review and commit them):"
  diff <(echo "$before") <(echo "$after") | grep '^[<>]' | awk '{print "   ", $3}' | sort -u
  exit 1
fi
.venv/bin/python tools/readme.py --check
echo "check_sync: notebooks clean, msgm_nb/ in sync with the notebooks"
