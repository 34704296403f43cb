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

def test_python_dash_m_runs_the_cli():
    r = subprocess.run([sys.executable, '-m', 'msgm_nb.cli', '--help'], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and 'toy' in r.stdout and 'leaderboard' in r.stdout, r.stderr[-2000:]
    r = subprocess.run([sys.executable, '-m', 'msgm_nb.cli', 'toy', '--bogus'], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and '--bogus' in r.stderr

def test_toy_tiny_writes_results(tmp_path):
    r = run('toy', '--preset', 'tiny', '--seed', '1', '--out', str(tmp_path), '--no-progress')
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path / 'results.json').read_text())
    assert set(res['methods']) >= {'standard', 'unseen', 'orthogonal', 'obtuse'}
    for m in res['methods'].values():
        assert 0 <= m['ur'] <= 1 and m['nll_g_nats'] > 0 and m['nll_f_nats'] > 0 and m['bpd_g'] > 0 and m['bpd_f'] > 0
    assert res['config']['seed'] == 1 and 'msgm toy' in res['command']
    row = res['sweep'][0]
    assert set(row) >= {'variant', 'alpha', 'every', 'nll_g_nats', 'nll_f_nats', 'ur'}
    for fig in ('fig1_scores', 'fig2_samples', 'fig_sweep'): assert (tmp_path / f'{fig}.png').stat().st_size > 1000

def test_bad_arguments_fail_clearly(tmp_path):
    r = run('toy', '--fast', '--preset', 'tiny', '--out', str(tmp_path))
    assert r.returncode == 2 and 'contradicts' in r.stderr

def test_leaderboard_tiny_writes_results(tmp_path):
    "Both halves through two spawned worker processes (the --fast path), on the tiny preset."
    r = run('leaderboard', '--preset', 'tiny', '--methods', 'msgm-obtuse,rg', '--workers', '2', '--cache', str(tmp_path / 'digits'),
            '--out', str(tmp_path / 'out'), '--no-progress')
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path / 'out' / 'results.json').read_text())
    assert res['config']['workers'] == 2
    keys = {'toy': {'ur', 'nll_f_nats', 'nll_g_nats', 'retention', 'unchanged', 'seconds'},      # units in the names; no toy FID
            'digits': {'ur', 'bpd_f', 'bpd_g', 'fid_g', 'retention', 'unchanged', 'seconds'}}
    for part in ('toy', 'digits'):
        rows = [v for k, v in res[part].items() if not k.startswith(('standard/', 'unseen/'))]
        assert rows and all(set(v) >= keys[part] for v in rows)
        assert {k.split('/')[0] for k in res[part]} == {'standard', 'unseen', 'msgm-obtuse', 'rg'}
        assert res[part]['standard/0']['retention'] == 0 or (part == 'digits' and res[part]['standard/0']['retention'] is None)
    assert not any('fid_g' in v for v in res['toy'].values())                   # the toy part reports no FID
    assert (tmp_path / 'digits' / 'standard' / 'train_info.json').exists()      # the digits models went to --cache
    assert '## digits' in (tmp_path / 'out' / 'leaderboard.md').read_text() and (tmp_path / 'out' / 'pareto.png').exists()

def test_leaderboard_bad_part(tmp_path):
    r = run('leaderboard', '--preset', 'tiny', '--parts', 'cifar', '--out', str(tmp_path))
    assert r.returncode == 2 and 'parts must be' in r.stderr

def test_train_under_torchrun_spreads_methods(tmp_path):
    "torchrun with two CPU processes (gloo): each rank trains its share of the methods into one cache, rank 0 writes the summary."
    import shutil
    torchrun = Path(sys.executable).with_name('torchrun'); msgm = Path(sys.executable).with_name('msgm')
    if not (torchrun.exists() and msgm.exists()): import pytest; pytest.skip('torchrun or the msgm script not installed in this environment')
    cfg = tmp_path / 'cfg.json'
    cfg.write_text(json.dumps(dict(preset='tiny', dataset='digits', steps=6, ft_steps=2, methods=['standard', 'unseen', 'obtuse', 'ft_obtuse'])))
    r = subprocess.run([str(torchrun), '--nproc_per_node=2', '--master_port=29533', str(msgm), 'train', '--config', str(cfg), '--cache', str(tmp_path / 'c'),
                        '--out', str(tmp_path / 'o'), '--no-progress'], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path / 'o' / 'results.json').read_text())
    assert res['world_size'] == 2 and set(res['train']) == {'standard', 'unseen', 'obtuse', 'ft_obtuse'}
    assert {i['device'] for i in res['train'].values()} == {'cpu'}

def test_train_under_torchrun_data_parallel(tmp_path):
    "torchrun with two CPU processes and --ddp: both ranks train every model together (batch split, gradients averaged)."
    torchrun = Path(sys.executable).with_name('torchrun'); msgm = Path(sys.executable).with_name('msgm')
    if not (torchrun.exists() and msgm.exists()): import pytest; pytest.skip('torchrun or the msgm script not installed in this environment')
    cfg = tmp_path / 'cfg.json'
    cfg.write_text(json.dumps(dict(preset='tiny', dataset='digits', steps=6, ft_steps=2, methods=['unseen', 'ft_obtuse'])))
    r = subprocess.run([str(torchrun), '--nproc_per_node=2', '--master_port=29534', str(msgm), 'train', '--ddp', '--config', str(cfg),
                        '--cache', str(tmp_path / 'c'), '--out', str(tmp_path / 'o'), '--no-progress'], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path / 'o' / 'results.json').read_text())
    assert res['world_size'] == 2 and res['parallel'] == 'data' and set(res['train']) == {'standard', 'unseen', 'ft_obtuse'}
    assert {i['world_size'] for i in res['train'].values()} == {2}
    ck = json.loads(sorted((tmp_path / 'c' / 'unseen').glob('step_*.json'))[-1].read_text())
    assert ck['world'] == 2 and ck['step'] == 6
