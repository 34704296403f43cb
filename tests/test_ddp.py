"""Data-parallel training (`TrainConfig(ddp=True)`) in two real CPU processes (gloo): the averaged gradient, identical replicas, exact resume."""
import json, os, socket
from pathlib import Path
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

def _free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def _data():
    g = torch.Generator().manual_seed(0)
    return torch.randn(256, 2, generator=g) * .5 + 1., torch.randn(64, 2, generator=g) * .5 - 2.

def _net(seed):
    from msgm_nb.nets import ScoreMLP
    torch.manual_seed(seed); return ScoreMLP(dim=2, hidden=16, depth=1, embed_dim=8)

def _worker(rank, world, port, out):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group('gloo', rank=rank, world_size=world)
    from msgm_nb.sde import VPSDE
    from msgm_nb.core import score_fn, set_seed, seeded
    from msgm_nb.train import TrainConfig, train, _step_loss, _RANK_SEED
    sde, (x_g, x_f), res = VPSDE(), _data(), {}
    kw = dict(batch_g=16, batch_f=8, device='cpu', progress=False, log_every=1, ddp=True, lr=1e-2)
    try:
        # 1. one step == Adam on the mean of the two ranks' local gradients (each rank starts from different weights: rank 0's win)
        init0 = _net(0).state_dict()
        r1 = train(_net(rank), sde, x_g, x_f, TrainConfig(mode='msgm', every=1, steps=1, **kw))
        ref = _net(0); ref.load_state_dict(init0)
        cfg_local = TrainConfig(mode='msgm', every=1, steps=1, **{**kw, 'batch_g': 8, 'batch_f': 4, 'ddp': False})   # this rank's half batch
        set_seed(_RANK_SEED * rank); gen = seeded(_RANK_SEED * rank + 1)   # the streams train() gives this rank (cfg.seed = 0)
        data = (x_g, x_f, x_g)
        score = lambda y, frozen=False: score_fn(ref, sde, label=y)   # an unconditional net: no labels, no null label
        loss, _, _ = _step_loss(cfg_local, 0, score, sde, data, (None, None, None), gen, torch.device('cpu'), None)
        loss.backward()
        grads = [p.grad.clone() for p in ref.parameters()]
        for g in grads: dist.all_reduce(g); g /= world
        ref2 = _net(0); ref2.load_state_dict(init0)
        for p, g in zip(ref2.parameters(), grads): p.grad = g
        torch.nn.utils.clip_grad_norm_(list(ref2.parameters()), 1.0)
        torch.optim.Adam(ref2.parameters(), lr=1e-2).step()
        res['one_step_err'] = max((a - b).abs().max().item() for a, b in zip(r1.model.parameters(), ref2.parameters()))
        # 2. replicas stay identical, in a mode with two forward passes per step too; 3. a run stopped and resumed is exact
        for mode in ('msgm', 'erasediff_joint'):
            full = train(_net(rank), sde, x_g, x_f, TrainConfig(mode=mode, steps=12, ckpt_every=6, ckpt_dir=f'{out}/{mode}_full', **kw))
            train(_net(rank), sde, x_g, x_f, TrainConfig(mode=mode, steps=6, ckpt_dir=f'{out}/{mode}_part', **kw))
            resumed = train(_net(rank + 7), sde, x_g, x_f, TrainConfig(mode=mode, steps=12, ckpt_dir=f'{out}/{mode}_part', resume=True, **kw))
            res[mode] = dict(full=[p.detach().clone() for p in full.model.parameters()] + [p.detach().clone() for p in full.ema_model.parameters()],
                             resumed=[p.detach().clone() for p in resumed.model.parameters()] + [p.detach().clone() for p in resumed.ema_model.parameters()],
                             history=full.history, history_resumed=resumed.history)
        try: train(_net(rank), sde, x_g, x_f, TrainConfig(mode='msgm', steps=1, **{**kw, 'batch_g': 15})); res['odd_batch'] = 'no error'
        except ValueError as e: res['odd_batch'] = str(e)
        torch.save(res, f'{out}/rank{rank}.pt')
    finally:
        dist.destroy_process_group()

def test_ddp_two_processes(tmp_path):
    mp.spawn(_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)
    r0, r1 = (torch.load(tmp_path / f'rank{r}.pt', weights_only=False) for r in (0, 1))
    # the first update is Adam on the averaged gradient of both ranks' batches (rank 1 started from other weights: DDP broadcast rank 0's)
    assert r0['one_step_err'] < 1e-6 and r1['one_step_err'] < 1e-6, (r0['one_step_err'], r1['one_step_err'])
    for mode in ('msgm', 'erasediff_joint'):
        for a, b in zip(r0[mode]['full'], r1[mode]['full']): assert torch.equal(a, b), f'{mode}: replicas differ'
        for r in (r0, r1):
            for a, b in zip(r[mode]['full'], r[mode]['resumed']): assert torch.equal(a, b), f'{mode}: resumed run differs'
            assert json.dumps(r[mode]['history']) == json.dumps(r[mode]['history_resumed']) == json.dumps(r0[mode]['history'])   # NaN-safe
    assert 'batch_g=15 must be divisible by the world size 2' in r0['odd_batch']

def test_ddp_needs_a_group_and_the_same_world_size(tmp_path):
    "Without a process group `ddp=True` fails clearly; a 2-process checkpoint does not resume in one process."
    import pytest
    from msgm_nb.sde import VPSDE
    from msgm_nb.train import TrainConfig, train
    x_g, x_f = _data()
    with pytest.raises(ValueError, match='needs an initialised torch.distributed process group'):
        train(_net(0), VPSDE(), x_g, x_f, TrainConfig(steps=1, ddp=True, device='cpu', progress=False))
    mp.spawn(_resume_src, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)
    with pytest.raises(ValueError, match='written by 2 data-parallel process'):
        train(_net(0), VPSDE(), x_g, x_f, TrainConfig(steps=4, batch_g=16, batch_f=8, ckpt_dir=str(tmp_path / 'c'), resume=True, device='cpu', progress=False))

def _resume_src(rank, world, port, out):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port)); torch.set_num_threads(1)
    dist.init_process_group('gloo', rank=rank, world_size=world)
    from msgm_nb.sde import VPSDE
    from msgm_nb.train import TrainConfig, train
    try: train(_net(rank), VPSDE(), *_data(), TrainConfig(steps=2, batch_g=16, batch_f=8, ckpt_dir=f'{out}/c', ddp=True, device='cpu', progress=False))
    finally: dist.destroy_process_group()
