"""Is training several toy score models at once faster than one after another? One run measures, per optimiser step of M models
(batch 256 each, the toy's ScoreMLP, the DSM loss under the toy's VE SDE, Adam): (a) M models in turn, (b) the M models stacked with
`torch.func.stack_module_state` and evaluated with `vmap(functional_call)`, one backward pass and one Adam step on the stacked tensors.
Prints ms per step of M models and the ratio (a)/(b) for each M, on one thread (one process per core is the alternative it competes with).
  python benchmarks/toy_stack.py [--models 1,2,6,12] [--steps 60] [--threads 1]"""
import argparse, copy, time
import torch
import torch.nn.functional as F
from torch.func import stack_module_state, functional_call, vmap
from msgm_nb.nets import ScoreMLP
from msgm_nb.sde import VESDE

class Unchecked(torch.nn.Module):
    "ScoreMLP's forward without its input checks (their data-dependent branches cannot run under vmap); the same weights and arithmetic."
    def __init__(self, m: ScoreMLP): super().__init__(); self.m = m
    def forward(self, x, t):
        m = self.m; e, h = m.temb(t), m.inp(x)
        for b in m.blocks: h = h + b['l2'](F.silu(b['l1'](F.silu(h)) + b['te'](e)))
        return m.out(F.silu(h))

def dsm(eps_pred, z): return ((eps_pred - z) ** 2).sum(-1).mean(-1)   # per model: mean over the batch of the per-sample squared error

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--models', default='1,2,6,12'); ap.add_argument('--steps', type=int, default=60)
    ap.add_argument('--threads', type=int, default=1); a = ap.parse_args()
    torch.set_num_threads(a.threads); sde = VESDE(0.01, 50.); B = 256
    print(f"{'M':>3} {'sequential ms/step':>19} {'stacked ms/step':>16} {'ratio':>6}")
    for M in map(int, a.models.split(',')):
        g = torch.Generator().manual_seed(0)
        nets = [ScoreMLP(2, 128, 3, sde=sde) for _ in range(M)]
        x0 = torch.randn(M, B, 2, generator=g); t = torch.rand(M, B, generator=g) * (1 - 1e-5) + 1e-5; z = torch.randn(M, B, 2, generator=g)
        std = sde.std(t.flatten()).view(M, B, 1); xt = x0 + std * z
        opts = [torch.optim.Adam(n.parameters(), 1e-3) for n in nets]
        with torch.no_grad(): assert torch.allclose(Unchecked(nets[0])(xt[0], t[0]), nets[0](xt[0], t[0]))   # the same function
        def seq():
            for i, (n, o) in enumerate(zip(nets, opts)):
                o.zero_grad(); dsm(n(xt[i], t[i]), z[i]).backward(); o.step()
        params, bufs = stack_module_state([Unchecked(copy.deepcopy(n)) for n in nets])
        params = {k: v.detach().requires_grad_(True) for k, v in params.items()}
        base = Unchecked(copy.deepcopy(nets[0])).to('meta'); opt = torch.optim.Adam(params.values(), 1e-3)
        f = vmap(lambda p, b, x, tt: functional_call(base, (p, b), (x, tt)))
        def stacked():
            opt.zero_grad(); dsm(f(params, bufs, xt, t), z).sum().backward(); opt.step()
        res = []
        for fn in (seq, stacked):
            for _ in range(5): fn()
            t0 = time.perf_counter()
            for _ in range(a.steps): fn()
            res.append((time.perf_counter() - t0) / a.steps * 1e3)
        print(f"{M:>3} {res[0]:>19.1f} {res[1]:>16.1f} {res[0] / res[1]:>6.2f}")

if __name__ == '__main__': main()
