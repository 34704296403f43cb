"""A training run really killed with SIGKILL mid-run, then resumed with `resume=True`, ends with weights bit-identical to an uninterrupted run
(CPU, fixed seed). The killed run is a subprocess, slowed by a per-step callback so that the kill lands after a checkpoint and before the end;
the resumption and then the reference run execute the same script's `main` in this process (single-threaded, like the subprocess)."""
import json, os, signal, subprocess, sys, time, textwrap
from pathlib import Path
import pytest
import torch
from safetensors.torch import load_file

ROOT = Path(__file__).resolve().parents[1]
STEPS, CKPT_EVERY = 60, 6

SCRIPT = textwrap.dedent('''
    import sys, time, torch
    from msgm_nb.core import set_seed
    from msgm_nb.nets import ScoreMLP
    from msgm_nb.sde import VPSDE
    from msgm_nb.train import TrainConfig, train

    def main(ckpt_dir, steps, delay):
        torch.set_num_threads(1)
        steps, delay = int(steps), float(delay)
        g = torch.Generator().manual_seed(0)
        x_g = torch.randn(512, 2, generator=g) * 0.5 - 1.
        x_f = torch.randn(128, 2, generator=g) * 0.5 + 2.
        set_seed(0)
        model = ScoreMLP(dim=2, hidden=32, depth=2, embed_dim=16)
        cfg = TrainConfig(mode='msgm', variant='obtuse', steps=steps, batch_g=32, batch_f=16, lr=1e-3, warmup=10, ema=0.99,
                          seed=7, log_every=3, ckpt_every=%d, ckpt_dir=str(ckpt_dir), resume=True, device='cpu', progress=False)
        train(model, VPSDE(), x_g, x_f, cfg, callback=(lambda s, i: time.sleep(delay)) if delay else None)

    if __name__ == '__main__': main(*sys.argv[1:])
''' % CKPT_EVERY)


def _in_process(ckpt_dir):
    "The same script's main() in this process (single-threaded, like the subprocess)."
    ns, threads = {'__name__': 'resume_script'}, torch.get_num_threads()
    exec(SCRIPT, ns)
    try: ns['main'](ckpt_dir, STEPS, 0.)
    finally: torch.set_num_threads(threads)


def _run(script, ckpt_dir, delay=0.):
    return subprocess.Popen([sys.executable, str(script), str(ckpt_dir), str(STEPS), str(delay)], cwd=ROOT,
                            env={**os.environ, 'PYTHONPATH': str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _final(ckpt_dir):
    from msgm_nb.train import latest_checkpoint
    j = latest_checkpoint(ckpt_dir)
    assert j is not None and j.name == f'step_{STEPS:08d}.json', j
    t = load_file(str(j.with_suffix('.safetensors')))
    return {k: v for k, v in t.items() if k.startswith(('model.', 'ema.', 'opt.'))}, j.read_text()


def test_sigkill_then_resume_is_bit_exact(tmp_path):
    script = tmp_path / 'run.py'; script.write_text(SCRIPT)
    a, b = tmp_path / 'uninterrupted', tmp_path / 'killed'
    pb = _run(script, b, delay=0.05)                       # the run we kill, slowed by a per-step callback
    t0, killed_at = time.time(), None                      # watch it from the start: nothing else runs until the kill
    while time.time() - t0 < 300:                          # generous: importing torch under load can take a while
        done = sorted(b.glob('step_*.json')) if b.exists() else []
        if done and int(done[-1].stem.split('_')[1]) >= 2 * CKPT_EVERY:
            pb.send_signal(signal.SIGKILL); pb.wait(); killed_at = done[-1].name; break
        if pb.poll() is not None: break
        time.sleep(0.01)
    assert killed_at is not None, f"the run ended before it could be killed: {pb.communicate()}"
    assert pb.returncode == -signal.SIGKILL
    from msgm_nb.train import latest_checkpoint
    assert int(latest_checkpoint(b).stem.split('_')[1]) < STEPS, 'killed too late'
    _in_process(b)                                         # resume the killed run (resume=True picks up its checkpoint)
    _in_process(a)                                         # the uninterrupted reference
    ta, ja = _final(a); tb, jb = _final(b)
    assert ta.keys() == tb.keys() and len(ta) > 0
    for k in ta: assert torch.equal(ta[k], tb[k]), f'{k} differs after resume'
    assert json.dumps(json.loads(ja)['history']) == json.dumps(json.loads(jb)['history'])
