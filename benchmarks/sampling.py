"""Samples per second of each sampler of msgm_nb.sampling at equal sample quality, on a Gaussian mixture whose law is known exactly.

Quality check (the closed form): the samples' mixture fit - each component's weight, mean and per-dimension variance, estimated with
the exact responsibilities - must match the true mixture within 5 standard errors + 0.02 (the check of 06_sampling). For every sampler
the number of steps (or, for the ODE sampler, the tolerance) is swept from cheap to expensive; the first setting whose samples pass is
the sampler's operating point, and its samples per second (the fastest of `--repeats` runs) and score evaluations are reported. The
exact score of the mixture stands in for a network, so the numbers measure the samplers' own cost and step counts, not a model's.

    python benchmarks/sampling.py [--sde vp|ve] [--dim 2|784] [--n 20000] [--device cuda]
"""
import argparse, time
import torch
from msgm_nb.sde import VESDE, VPSDE
from msgm_nb.mixtures import GaussianMixture, three_gaussians
from msgm_nb.sampling import sample

STEPS = (10, 20, 50, 100, 200, 500, 1000)
TOLS = (1e-2, 1e-3, 1e-4, 1e-5)


def fit_error(gm, x: torch.Tensor) -> float:
    "Largest |estimate - truth| / (5 se + 0.02) over the weights, means and per-dimension variances of the components; <= 1 passes."
    if not torch.isfinite(x).all(): return float('inf')
    r, n = gm.responsibilities(x), len(x)
    w = r.mean(0); mu = (r[:, :, None] * x[:, None]).mean(0) / w[:, None]
    d2 = ((x[:, None] - gm.means[None]) ** 2).mean(-1)
    var = (r * d2).mean(0) / w
    se = dict(w=r.std(0) / n ** .5, mu=(r[:, :, None] * x[:, None] / w[:, None]).std(0) / n ** .5, var=(r * d2 / w).std(0) / n ** .5)
    est, true = dict(w=w, mu=mu, var=var), dict(w=gm.weights, mu=gm.means, var=gm.stds ** 2)
    return max(((est[k] - true[k].to(x)).abs() / (5 * se[k] + .02)).max().item() for k in est)


def run(gm, sde, method, setting, a, dev):
    "Samples, score evaluations and the fastest wall time of `repeats` runs at one setting (steps, or rtol = atol for 'ode')."
    kw = dict(rtol=setting, atol=setting) if method == 'ode' else dict(steps=setting)
    best = float('inf')
    for _ in range(a.repeats):
        if dev.type == 'cuda': torch.cuda.synchronize()
        t0 = time.perf_counter()
        x, nfe = sample(gm.score_fn(sde), sde, (a.n, gm.D), method=method, generator=torch.Generator(dev).manual_seed(1), device=dev,
                        progress=False, return_nfe=True, **kw)
        if dev.type == 'cuda': torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    return x, nfe, best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--sde', choices=['vp', 've'], default='vp')
    ap.add_argument('--dim', type=int, default=2, help="2: the paper's three Gaussians; more: an 8-component mixture with image-like scales")
    ap.add_argument('--n', type=int, default=None, help='samples per run (default 20000 on cpu, 200000 on cuda)')
    ap.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    ap.add_argument('--repeats', type=int, default=2)
    ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args()
    if a.device == 'cuda' and not torch.cuda.is_available(): ap.error("--device cuda: no CUDA device is available")
    torch.set_num_threads(a.threads); torch.set_flush_denormal(True)
    dev = torch.device(a.device); a.n = a.n or (200000 if a.device == 'cuda' else 20000)
    if a.dim == 2: gm, _ = three_gaussians()
    else:
        g = torch.Generator().manual_seed(0)
        gm = GaussianMixture(torch.rand(8, a.dim, generator=g) * 1.6 - .8, torch.linspace(.05, .3, 8))
    gm = GaussianMixture(gm.means.to(dev), gm.stds.to(dev), gm.weights.to(dev))
    sde = VPSDE() if a.sde == 'vp' else VESDE()
    print(f"{sde!r}, {gm!r}, {a.n} samples per run on {a.device}; quality: mixture fit within 5 se + 0.02 (<= 1 passes)")
    print(f"{'sampler':8s} {'setting':>9s} {'NFE':>5s} {'wall s':>8s} {'samples/s':>10s} {'fit err':>8s}")
    for method in ('em', 'rd', 'pc', 'ddpm', 'ode'):
        if method == 'ddpm' and a.sde != 'vp': continue
        for setting in (TOLS if method == 'ode' else STEPS):
            x, nfe, wall = run(gm, sde, method, setting, a, dev)
            err = fit_error(gm, x)
            print(f"{method:8s} {setting:9g} {nfe:5d} {wall:8.3f} {a.n / wall:10.0f} {err:8.2f}{'  <- first that passes' if err <= 1 else ''}")
            if err <= 1: break
        else: print(f"{method:8s} did not pass at any setting")


if __name__ == '__main__':
    main()
