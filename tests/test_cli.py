"""The `msgm` console script as a user runs it: a real process, real files."""
import json, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MSGM = [sys.executable, '-c', 'import sys; from msgm_nb.cli import main; sys.exit(main())']

def run(*args, **kw):
    return subprocess.run(MSGM + list(args), cwd=ROOT, capture_output=True, text=True, timeout=900, **kw)

def test_help_lists_toy():
    r = run('--help')
    assert r.returncode == 0 and 'toy' in r.stdout

def test_toy_tiny_writes_results(tmp_path):
    r = run('toy', '--preset', 'tiny', '--seed', '1', '--out', str(tmp_path), '--no-progress')
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path / 'results.json').read_text())
    assert set(res['methods']) >= {'standard', 'unseen', 'orthogonal', 'obtuse'}
    for m in res['methods'].values():
        assert 0 <= m['unlearning_ratio'] <= 1 and m['nll_g'] > 0 and m['nll_f'] > 0
    assert res['config']['seed'] == 1 and 'msgm toy' in res['command']
    row = res['sweep'][0]
    assert set(row) >= {'variant', 'alpha', 'every', 'nll_g', 'nll_f', 'unlearning_ratio'}
    for fig in ('fig1_scores', 'fig2_samples', 'fig_sweep'): assert (tmp_path / f'{fig}.png').stat().st_size > 1000

def test_bad_arguments_fail_clearly(tmp_path):
    r = run('toy', '--fast', '--preset', 'tiny', '--out', str(tmp_path))
    assert r.returncode == 2 and 'contradicts' in r.stderr

def test_leaderboard_tiny_writes_results(tmp_path):
    r = run('leaderboard', '--preset', 'tiny', '--methods', 'msgm-obtuse,rg', '--out', str(tmp_path), '--no-progress')
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path / 'results.json').read_text())
    assert 'standard/0' in res['toy'] and res['digits'] == {}
    rows = [v for k, v in res['toy'].items() if not k.startswith(('standard/', 'unseen/'))]
    assert rows and all(set(v) >= {'ur', 'nll_f', 'nll_g', 'fid', 'retention', 'unchanged', 'seconds'} for v in rows)
    assert {k.split('/')[0] for k in res['toy']} == {'standard', 'unseen', 'msgm-obtuse', 'rg'}
    assert (tmp_path / 'pareto.png').exists()
