"""Every notebook in nbs/ is one test: executed with nbdev's own runner (`nbdev.test.test_nb`, what `nbdev_test` calls),
skipping the cells flagged `notest`/`slow`/`gpu` unless NBDEV_FLAGS names them (e.g. NBDEV_FLAGS="slow gpu")."""
import os
from pathlib import Path
import pytest
from nbdev.config import get_config
from nbdev.test import test_nb as run_nb

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'

def _notebooks():
    for p in sorted(NBS.rglob('*.ipynb')):
        rel = p.relative_to(NBS)
        if any(part.startswith(('_', '.')) for part in rel.parts): continue  # scratch notebooks and checkpoints
        yield p

def test_notebooks_found():
    names = [p.name for p in _notebooks()]
    assert 'index.ipynb' in names and '00_core.ipynb' in names, names

@pytest.mark.parametrize('nb', list(_notebooks()), ids=lambda p: p.stem)
def test_notebook(nb, capsys):
    cfg = get_config(path=ROOT)
    flags = os.environ.get('NBDEV_FLAGS', '').split()
    skip = [f for f in cfg.tst_flags.split() if f not in flags]
    ok, secs = run_nb(nb, skip_flags=skip, force_flags=flags, showerr=True)
    assert ok, f"{nb.name} failed (see the traceback above)"
