"""Training K toy score models at once (torch.func: stacked weights + vmap) against one after another, measured in one run.

The toy verdict trains many copies of one small MLP (`ToyConfig.preset('verdict')`: width 128, 3 residual blocks, batch 256). This measures
one training step (the DSM loss of the noise-predicting network, its gradient and an Adam update) for K models: (a) K separate modules,
one after another, with `torch.optim.Adam`; (b) the K models' weights stacked along a new first axis, the gradient of all K in one
`vmap(grad(loss))` call and one Adam over the stacked tensors; (c) (a) split over `--procs` processes (what `--workers` does). (a) and (b)
use `--threads` threads, (c) that many per process; (b) feeds every model the same batch, which costs the same as K different batches.
Prints model-steps per second and the speed-ups of (b) and (c) over (a) for each K.
Each time is the best of `--repeat` measurements.
Usage: python tools/bench_stack.py [--ks 1,4,16] [--steps 60] [--repeat 3] [--threads 1] [--procs 2] [--device cpu]
"""
import argparse, copy, time
import torch
from torch.func import functional_call, grad, stack_module_state, vmap

def _setup(k, device):
    from msgm_nb.toy import ToyConfig, toy_data, toy_sde
    from msgm_nb.nets import ScoreMLP
    cfg = ToyConfig.preset('verdict'); sde = toy_sde(cfg); data = toy_data(cfg)
    gen = torch.Generator().manual_seed(0)
    models = []
    for i in range(k):
        torch.manual_seed(i)   # a benchmark script owns its process: global seeding is fine here
        models.append(ScoreMLP(2, hidden=cfg.hidden, depth=cfg.depth, sde=sde).to(device))
    x0 = data['x_g'][torch.randint(len(data['x_g']), (cfg.batch,), generator=gen)].to(device)
    t = (torch.rand(cfg.batch, generator=gen) * (1 - 1e-5) + 1e-5).to(device)
    z = torch.randn(cfg.batch, 2, generator=gen).to(device)
    mean, std = sde.marginal_prob(x0, t)
    return models, mean + std[:, None] * z, t, z, cfg.lr

def _sync(device):
    if device.startswith('cuda'): torch.cuda.synchronize()

def serial(models, xt, t, z, lr, steps, device, barrier=None):
    opts = [torch.optim.Adam(m.parameters(), lr=lr) for m in models]
    def step():
        for m, o in zip(models, opts):
            loss = ((m(xt, t) - z) ** 2).sum(1).mean(); o.zero_grad(set_to_none=True); loss.backward(); o.step()
    step(); _sync(device)
    if barrier is not None: barrier.wait()   # every process starts its timed steps together
    t0 = time.perf_counter()
    for _ in range(steps): step()
    _sync(device); return time.perf_counter() - t0

def stacked(models, xt, t, z, lr, steps, device):
    base = copy.deepcopy(models[0]).to('meta')
    params, buffers = stack_module_state(models)
    params = {n: p.detach().clone().requires_grad_(False) for n, p in params.items()}
    def loss(p, b, xt, t, z): return ((functional_call(base, (p, b), (xt, t)) - z) ** 2).sum(1).mean()
    g = vmap(grad(loss), in_dims=(0, 0, None, None, None))
    leaves = list(params.values()); opt = torch.optim.Adam(leaves, lr=lr)
    def step():
        gs = g(params, buffers, xt, t, z)
        for p in leaves: p.grad = None
        for n, p in params.items(): p.grad = gs[n]
        opt.step()
    step(); _sync(device); t0 = time.perf_counter()
    for _ in range(steps): step()
    _sync(device); return time.perf_counter() - t0

def _proc(args):
    k, steps, threads, device, q, barrier = args
    torch.set_num_threads(threads); q.put(serial(*_setup(k, device), steps, device, barrier))

def processes(k, procs, steps, threads, device):
    "Seconds of `k` models trained one after another, split over `procs` processes whose timed steps start together (the slowest one's)."
    import multiprocessing as mp
    ctx = mp.get_context('spawn'); q = ctx.Queue(); n = [m for m in (k // procs + (i < k % procs) for i in range(procs)) if m]
    barrier = ctx.Barrier(len(n))
    ps = [ctx.Process(target=_proc, args=((m, steps, threads, device, q, barrier),)) for m in n]
    for p in ps: p.start()
    secs = [q.get() for _ in ps]
    for p in ps: p.join()
    return max(secs)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--ks', default='1,4,16'); ap.add_argument('--steps', type=int, default=60); ap.add_argument('--repeat', type=int, default=3)
    ap.add_argument('--threads', type=int, default=1); ap.add_argument('--procs', type=int, default=2); ap.add_argument('--device', default='cpu')
    a = ap.parse_args(); torch.set_num_threads(a.threads)
    print(f"toy verdict MLP, {a.steps} steps per measurement, best of {a.repeat}, {a.threads} thread(s), {a.device}")
    print(f"{'K':>3} {'(a) one after another':>22} {'(b) stacked + vmap':>19} {f'(c) {a.procs} processes':>16} {'(b)/(a)':>8} {'(c)/(a)':>8}"
          "   (model-steps per second)")
    for k in map(int, a.ks.split(',')):
        args = _setup(k, a.device)
        best = lambda f: min(f() for _ in range(a.repeat))
        ts = best(lambda: serial(*args, a.steps, a.device)); tv = best(lambda: stacked(*args, a.steps, a.device))
        tp = best(lambda: processes(k, a.procs, a.steps, a.threads, a.device))
        r = lambda sec: k * a.steps / sec
        print(f"{k:>3} {r(ts):>22.0f} {r(tv):>19.0f} {r(tp):>16.0f} {ts / tv:>7.2f}x {ts / tp:>7.2f}x")

if __name__ == '__main__': main()
