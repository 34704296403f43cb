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
    "`msgm toy` is the toy study's smoke run: records, table, models and figures of one seed, then results.json."
    r = run('toy', '--preset', 'tiny', '--seed', '1', '--out', str(tmp_path), '--no-progress')
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path / 'results.json').read_text())
    recs = [json.loads(p.read_text()) for p in (tmp_path / 'toy').glob('*.json')]
    assert sorted(r['row'] for r in recs) == ['obtuse alpha=0.99 k=4', 'standard', 'unseen'] and {r['seed'] for r in recs} == {1}
    for m in (r['metrics'] for r in recs):
        assert 0 <= m['ur'] <= 1 and m['nll_g_nats'] > 0 and m['nll_f_nats'] > 0 and m['bpd_g'] > 0 and m['bpd_f'] > 0
    assert res['config']['seed'] == 1 and 'msgm toy' in res['command'] and res['summary']['missing_runs'] == 0
    assert len(list((tmp_path / 'work' / 'toy').glob('*/step_*.safetensors'))) == 3     # the models the figures read
    for fig in ('toy_fig1_scores', 'toy_fig1_optimum', 'toy_fig2_samples', 'toy_fig_sweep'):
        assert (tmp_path / f'{fig}.png').stat().st_size > 1000
    assert (tmp_path / 'toy_summary.md').exists()

def test_bad_arguments_fail_clearly(tmp_path):
    r = run('toy', '--fast', '--preset', 'tiny', '--out', str(tmp_path))
    assert r.returncode == 2 and 'contradicts' in r.stderr

def test_leaderboard_tiny_writes_results(tmp_path):
    "Both studies of the leaderboard through two spawned worker processes, on the tiny preset: records, tables, best settings."
    out = tmp_path / 'out'
    r = run('leaderboard', '--preset', 'tiny', '--methods', 'msgm-obtuse,rg', '--workers', '2', '--out', str(out), '--no-progress')
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((out / 'results.json').read_text())
    assert res['config']['workers'] == 2 and res['config']['methods'] == ['msgm-obtuse', 'rg']
    keys = {'toy': {'ur', 'nll_f_nats', 'nll_g_nats', 'retention', 'unchanged', 'seconds'},      # units in the names; no toy FID
            'digits': {'ur', 'bpd_f', 'bpd_g', 'fid_g', 'retention', 'unchanged', 'seconds'}}
    for part in ('toy', 'digits'):
        assert res['summaries'][f'leaderboard-{part}']['missing_runs'] == 0
        best = json.loads((out / f'leaderboard-{part}_best.json').read_text())[part]
        rows = [v for k, v in best.items() if not k.startswith(('standard/', 'unseen/'))]
        assert rows and all(set(v) >= keys[part] for v in rows)
        assert {k.split('/')[0] for k in best} == {'standard', 'unseen', 'msgm-obtuse', 'rg'}
        assert best['standard/0']['retention'] == 0 or (part == 'digits' and best['standard/0']['retention'] is None)
        assert (out / f'leaderboard-{part}_pareto.png').exists() and (out / f'leaderboard-{part}_summary.md').exists()
        if part == 'toy':
            assert not any('fid_g' in v for v in best.values())                     # the toy part reports no FID
    assert len(list((out / 'work').rglob('standard/train_info.json'))) == 1      # the digits Standard, in --out/work

def test_leaderboard_bad_part(tmp_path):
    r = run('leaderboard', '--preset', 'tiny', '--parts', 'cifar', '--out', str(tmp_path / 'o'))
    assert r.returncode == 2 and '--parts: unknown cifar; valid: toy, digits' in r.stderr and not (tmp_path / 'o').exists()
    r = run('leaderboard', '--preset', 'tiny', '--methods', '', '--out', str(tmp_path / 'o'))
    assert r.returncode == 2 and '--methods: an empty name' in r.stderr and not (tmp_path / 'o').exists()

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
