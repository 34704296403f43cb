"""`msgm train / sample / nll / eval` as a user runs them: real processes on the tiny digits setting, sharing one model cache."""
import json, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
MSGM = [sys.executable, '-c', 'import sys, torch; torch.set_num_threads(1); from msgm_nb.cli import main; sys.exit(main())']

def run(*args):
    return subprocess.run(MSGM + [str(a) for a in args], cwd=ROOT, capture_output=True, text=True, timeout=900)

@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    d = tmp_path_factory.mktemp('cli_images')
    cfg = d / 'cfg.json'
    cfg.write_text(json.dumps(dict(dataset='digits', preset='tiny', steps=10, ft_steps=4, n_samples=24, clf_epochs=1,
                                   methods=['standard', 'unseen', 'ft_obtuse'])))
    return d, cfg

def test_train_then_sample_nll_eval(setup):
    d, cfg = setup
    r = run('train', '--config', cfg, '--cache', d / 'cache', '--out', d / 'train', '--no-progress')
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((d / 'train' / 'results.json').read_text())
    assert set(res['train']) == {'standard', 'unseen', 'ft_obtuse'} and res['config']['steps'] == 10 and 'msgm train' in res['command']
    stamp = (d / 'cache' / 'unseen' / 'train_info.json').stat().st_mtime

    r = run('sample', '--config', cfg, '--cache', d / 'cache', '--method', 'ft_obtuse', '--n', 12, '--out', d / 'sample', '--no-progress')
    assert r.returncode == 0, r.stderr[-3000:]
    import torch
    xs = torch.load(d / 'sample' / 'samples.pt')
    assert xs.shape == (12, 1, 8, 8) and xs.min() >= -1 and xs.max() <= 1 and (d / 'sample' / 'samples.png').stat().st_size > 500

    r = run('nll', '--config', cfg, '--cache', d / 'cache', '--method', 'unseen', '--out', d / 'nll', '--no-progress')
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((d / 'nll' / 'results.json').read_text())
    assert res['bpd_g'] > 0 and res['bpd_f'] > 0 and res['method'] == 'unseen'

    r = run('eval', '--config', cfg, '--cache', d / 'cache', '--out', d / 'eval', '--no-progress')
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((d / 'eval' / 'results.json').read_text())
    assert set(res['methods']) == {'standard', 'unseen', 'ft_obtuse'}
    for m in res['methods'].values():
        assert set(m['ur_per_class']) == {'3', '7'} and 0 <= m['ur'] <= 1 and m['bpd_g'] > 0 and m['bpd_f'] > 0
    assert 0 <= res['classifier_test_acc'] <= 1 and (d / 'eval' / 'samples.png').stat().st_size > 1000
    assert (d / 'cache' / 'unseen' / 'train_info.json').stat().st_mtime == stamp, "eval retrained a cached model"

def test_config_mismatch_and_bad_input(setup):
    d, cfg = setup
    (d / 'other.json').write_text(json.dumps(dict(dataset='digits', preset='tiny', steps=11, methods=['unseen'])))
    (d / 'cache2' / 'unseen').mkdir(parents=True); (d / 'cache2' / 'unseen' / 'train_info.json').write_text('{}')   # the cache holds a model
    (d / 'cache2' / 'image_config.json').write_text(json.dumps(dict(dataset='digits', steps=10)))
    r = run('train', '--config', d / 'other.json', '--cache', d / 'cache2', '--out', d / 'x', '--no-progress')
    assert r.returncode != 0 and 'another configuration' in r.stderr
    r = run('sample', '--config', cfg, '--out', d / 'x')
    assert r.returncode == 2 and '--method' in r.stderr
    r = run('eval', '--config', cfg, '--methods', 'magic', '--out', d / 'x')
    assert r.returncode != 0 and 'unknown method' in r.stderr
