"""Checkpoints that recover: a run killed (SIGKILL) in the middle of writing a checkpoint, and a run whose newest checkpoint is truncated,
both resume from the newest intact checkpoint and end with the weights of an uninterrupted run; the broken file is reported by path."""
import json, os, shutil, subprocess, sys, textwrap
from pathlib import Path
from safetensors.torch import load_file

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS='1', MPLBACKEND='Agg')

SCRIPT = textwrap.dedent('''
    import os, signal, sys, tempfile, torch
    import msgm_nb.train as T
    from msgm_nb.nets import ScoreMLP
    from msgm_nb.sde import VPSDE

    def killing_write(path, data):
        "Half of step 12's JSON reaches its temporary file, then the process is killed (the write never completes)."
        if path.name == os.environ.get('KILL_AT'):
            fd, _ = tempfile.mkstemp(prefix=f'.{path.name}.', suffix='.tmp', dir=path.parent)
            os.write(fd, (data.encode() if isinstance(data, str) else data)[:len(data) // 2]); os.kill(os.getpid(), signal.SIGKILL)
        real_write(path, data)
    real_write, T.atomic_write = T.atomic_write, killing_write

    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    x_g, x_f = torch.randn(256, 2, generator=g) - 1., torch.randn(64, 2, generator=g) + 2.
    torch.manual_seed(0); model = ScoreMLP(dim=2, hidden=16, depth=2, embed_dim=8)
    cfg = T.TrainConfig(mode='msgm', variant='obtuse', steps=24, batch_g=16, batch_f=8, lr=1e-3, seed=3, ckpt_every=6,
                        ckpt_dir=sys.argv[1], resume=True, device='cpu', progress=False)
    T.train(model, VPSDE(), x_g, x_f, cfg)
''')

def train(tmp, d, kill_at=''):
    (tmp / 'run.py').write_text(SCRIPT)
    return subprocess.run([sys.executable, str(tmp / 'run.py'), str(d)], env=dict(ENV, KILL_AT=kill_at), capture_output=True, text=True, timeout=300)

def weights(d: Path, step: int) -> dict:
    t = load_file(str(d / f'step_{step:08d}.safetensors'))
    return {k: v for k, v in t.items() if k.startswith(('model.', 'ema.', 'opt.'))}

def same(a: dict, b: dict) -> bool: return a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)

def test_sigkill_during_checkpoint_write_then_resume(tmp_path):
    ref, d = tmp_path / 'ref', tmp_path / 'killed'
    assert train(tmp_path, ref).returncode == 0
    r = train(tmp_path, d, kill_at='step_00000012.json')
    assert r.returncode == -9, r.stderr[-2000:]
    assert (d / 'step_00000012.safetensors').exists() and not (d / 'step_00000012.json').exists()   # killed between the two files
    assert any(p.name.startswith('.step_00000012.json.') for p in d.iterdir())                       # a half-written temporary file
    r = train(tmp_path, d)
    assert r.returncode == 0, r.stderr[-2000:]
    assert not any(p.name.endswith('.tmp') for p in d.iterdir())
    assert same(weights(d, 24), weights(ref, 24))

def test_truncated_latest_checkpoint_then_resume(tmp_path):
    ref, d = tmp_path / 'ref', tmp_path / 'cut'
    assert train(tmp_path, ref).returncode == 0
    shutil.copytree(ref, d)
    f = d / 'step_00000024.safetensors'; f.write_bytes(f.read_bytes()[:1000])   # the newest checkpoint, truncated
    r = train(tmp_path, d)
    assert r.returncode == 0, r.stderr[-2000:]
    assert f'checkpoint file {f} cannot be read' in r.stderr and 'trying the next older checkpoint' in r.stderr
    assert same(weights(d, 24), weights(ref, 24))           # resumed from step 18 and redid the last 6 steps exactly

def test_msgm_train_recovers_from_a_truncated_checkpoint(tmp_path):
    "The same through `msgm train`: the cached model's final checkpoint cut short, the command retrains from the previous one."
    cfg = tmp_path / 'cfg.json'; cfg.write_text(json.dumps(dict(dataset='digits', preset='tiny', steps=8, methods=['unseen'])))
    msgm = [sys.executable, '-c', 'import sys; from msgm_nb.cli import main; sys.exit(main())', 'train', '--config', str(cfg), '--no-progress']
    r = subprocess.run(msgm + ['--cache', 'ref', '--out', 'o_ref'], cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    shutil.copytree(tmp_path / 'ref', tmp_path / 'cut')
    f = tmp_path / 'cut' / 'unseen' / 'step_00000008.json'; f.write_text(f.read_text()[:100])   # truncated JSON
    r = subprocess.run(msgm + ['--cache', 'cut', '--out', 'o_cut'], cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and f'checkpoint file cut/unseen/step_00000008.json cannot be read' in r.stderr, r.stderr[-2000:]
    assert same(weights(tmp_path / 'cut' / 'unseen', 8), weights(tmp_path / 'ref' / 'unseen', 8))

def test_a_command_that_needs_a_model_names_the_damaged_file(tmp_path):
    "`msgm nll` on a cache whose final checkpoint was overwritten with random bytes: exit 2, one line naming the file (not 'it holds: nothing')."
    cfg = tmp_path / 'cfg.json'; cfg.write_text(json.dumps(dict(dataset='digits', preset='tiny', steps=8, methods=['unseen'])))
    msgm = [sys.executable, '-c', 'import sys; from msgm_nb.cli import main; sys.exit(main())']
    r = subprocess.run(msgm + ['train', '--config', str(cfg), '--cache', 'c', '--out', 'o', '--no-progress'], cwd=tmp_path, env=ENV,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    f = tmp_path / 'c' / 'unseen' / 'step_00000008.safetensors'; f.write_bytes(os.urandom(2000))
    r = subprocess.run(msgm + ['nll', '--config', str(cfg), '--method', 'unseen', '--cache', 'c', '--out', 'o2', '--no-progress'],
                       cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr[-2000:]
    assert 'damaged model file(s) in cache c: unseen: checkpoint file c/unseen/step_00000008.safetensors cannot be read' in r.stderr
    assert not (tmp_path / 'o2').exists()
