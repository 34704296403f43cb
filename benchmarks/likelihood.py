"""NLL of one batch: msgm_nb.likelihood.log_likelihood (torchdiffeq dopri5 on the batch as a [B, D+1] tensor) against the common
reference approach, score-SDE's `likelihood.py`: scipy `solve_ivp(method='RK45')` on the whole batch flattened into one numpy vector,
one call per batch. Same score (the exact score of a Gaussian mixture, so the closed-form log density is the truth), same divergence code
(exact, or Hutchinson with one shared Rademacher probe), same rtol/atol, same eps, measured in one run.

    python benchmarks/likelihood.py                      # three-Gaussian set, VE (sigma_max 50), 256 points, exact divergence
    python benchmarks/likelihood.py --sde vp --n 1024
    python benchmarks/likelihood.py --dim 64 --hutchinson # a 64-D mixture with the Hutchinson estimator (the image regime)
"""
import argparse, math, time
import numpy as np
import torch
from scipy import integrate
from msgm_nb.sde import VESDE, VPSDE
from msgm_nb.mixtures import GaussianMixture, three_gaussians
from msgm_nb.likelihood import log_likelihood, exact_divergence, hutchinson_divergence, draw_probe


def reference_log_likelihood(score_fn, sde, x, *, exact_div, probe=None, rtol=1e-5, atol=1e-5, eps=1e-5, method='RK45'):
    "score-SDE's recipe: flatten the batch and the log-density increments into one numpy vector and call solve_ivp once."
    shape, B, D = x.shape, x.shape[0], x[0].numel()
    rsde = sde.reverse(score_fn, probability_flow=True)
    def ode_func(t, y):
        xx = torch.from_numpy(y[:-B]).reshape(shape).to(x.dtype).requires_grad_(True)
        tt = torch.full((B,), t, dtype=x.dtype)
        with torch.enable_grad():
            drift = rsde.sde(xx, tt)[0]
            div = exact_divergence(drift, xx) if exact_div else hutchinson_divergence(drift, xx, probe)
        return np.concatenate([drift.detach().reshape(-1).double().numpy(), div.detach().double().numpy()])
    init = np.concatenate([x.reshape(-1).double().numpy(), np.zeros(B)])
    sol = integrate.solve_ivp(ode_func, (eps, sde.T), init, rtol=rtol, atol=atol, method=method)
    zp = sol.y[:, -1]
    z = torch.from_numpy(zp[:-B]).reshape(shape).to(x.dtype)
    return sde.prior_logp(z) + torch.from_numpy(zp[-B:]).to(x.dtype), sol.nfev


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--sde', choices=['ve', 'vp'], default='ve')
    ap.add_argument('--n', type=int, default=256, help='batch size')
    ap.add_argument('--dim', type=int, default=2, help='2: the paper three-Gaussian set; >2: three unit Gaussians at -2, 0, 2 times the all-ones vector')
    ap.add_argument('--hutchinson', action='store_true', help='Hutchinson divergence with one shared Rademacher probe (default: exact)')
    ap.add_argument('--tol', type=float, default=1e-5, help='rtol = atol')
    ap.add_argument('--eps', type=float, default=1e-5)
    ap.add_argument('--dtype', choices=['float32', 'float64'], default='float32')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dtype = getattr(torch, a.dtype)
    if a.dim == 2: gm, _ = three_gaussians(dtype)
    else: gm = GaussianMixture(torch.tensor([-2., 0., 2.], dtype=dtype)[:, None].repeat(1, a.dim), 1., [.4, .2, .4])
    sde = VESDE() if a.sde == 've' else VPSDE()
    sf = gm.score_fn(sde)
    x, _ = gm.sample(a.n, generator=torch.Generator().manual_seed(a.seed))
    truth = gm.log_prob_t(x, a.eps, sde)
    exact = not a.hutchinson
    probe = None if exact else draw_probe(x, 'rademacher', torch.Generator().manual_seed(a.seed + 1))
    kw = dict(exact_div=exact, rtol=a.tol, atol=a.tol, eps=a.eps)
    print(f"{sde!r}, {a.n} points in {a.dim}-D ({a.dtype}), {'exact divergence' if exact else 'Hutchinson (one shared Rademacher probe)'}, "
          f"rtol = atol = {a.tol:g}, eps = {a.eps:g}, torch threads {a.threads}")
    log_likelihood(sf, sde, x[:2], **dict(kw, rtol=1e-3, atol=1e-3))                 # warm-up
    rows = []
    for name, norm in (('msgm_nb (torchdiffeq dopri5, per-sample norm)', 'sample'), ('msgm_nb (torchdiffeq dopri5, batch RMS norm)', 'batch')):
        gen = None if exact else torch.Generator().manual_seed(a.seed + 1)       # draw_probe with this seed = the shared probe
        t0 = time.perf_counter(); ll, nfe = log_likelihood(sf, sde, x, norm=norm, generator=gen, return_nfe=True, **kw)
        rows.append((name, nfe, time.perf_counter() - t0, ll))
    t0 = time.perf_counter(); ll, nfe = reference_log_likelihood(sf, sde, x, exact_div=exact, probe=probe, rtol=a.tol, atol=a.tol, eps=a.eps)
    rows.append(('reference (scipy solve_ivp RK45, flattened batch)', nfe, time.perf_counter() - t0, ll))
    t_ref = rows[-1][2]
    print(f"{'method':52s} {'NFE':>5s} {'wall s':>8s} {'ref/this':>8s} {'mean NLL':>9s} {'mean|err|':>10s} {'max|err|':>9s}")
    for name, nfe, wall, ll in rows:
        err = (ll - truth).abs()
        print(f"{name:52s} {nfe:5d} {wall:8.3f} {t_ref / wall:8.2f} {-ll.mean().item():9.4f} {err.mean().item():10.2e} {err.max().item():9.2e}")
    print(f"closed-form mean NLL {-truth.mean().item():.4f} nats (errors vs the closed form include the prior mismatch at T"
          f"{'' if exact else ' and the Hutchinson noise'})")


if __name__ == '__main__':
    main()
