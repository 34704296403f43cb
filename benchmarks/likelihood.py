"""NLL through the probability-flow ODE: msgm_nb.likelihood.log_likelihood against score-SDE's recipe, at equal accuracy, in one run.

The reference is score-SDE's `likelihood.py`: scipy `solve_ivp(method='RK45')` in the SDE's time t on the whole batch flattened into one
float64 numpy vector (one round trip to the host per evaluation), the drift through `sde.reverse(...)`, the divergence one backward pass
per dimension (exact) or Hutchinson's with one probe. Both recipes get the same score, the same eps, the same probe and the same prior.
Both sweep their tolerance (rtol = atol); for every run the error against the truth is measured, and `ref/this` is the time the reference
needs to reach at least that accuracy (its fastest run that is as accurate, '>' if none is) divided by this run's time. The last line is
the best `ref/this` among the runs at least as accurate as the reference at its default rtol = atol = 1e-5.

Cases (on a 2-core CPU: toy under a minute, mixture784 about 2 minutes, unet about 3, plus about a minute to train its U-Net once):
  toy         the paper's three Gaussians (VE by default), 256 points, exact divergence; truth: the closed-form log p_eps, with the
              exact log p_T as the prior of both recipes, so the error is the solver's alone
  mixture784  a 784-D Gaussian mixture with image-like scales (VP), Hutchinson with one Rademacher probe per point; truth: the same-probe
              solve at rtol = atol = 1e-8 (the closed form is printed too: it differs by the probe's noise, the same for every recipe)
  unet        bits/dim of scikit-learn's 8x8 digits under a small U-Net (msgm_nb.nets) trained here for a few hundred steps (cached
              under runs/bench/), VP, Hutchinson; truth: a solve at rtol = atol = 1e-7

    python benchmarks/likelihood.py --case toy [--sde vp] [--device cuda] [--n 256] [--repeats 2]
"""
import argparse, math, time
from pathlib import Path
import numpy as np
import torch
from scipy import integrate
from msgm_nb.sde import VESDE, VPSDE, subVPSDE
from msgm_nb.mixtures import GaussianMixture, three_gaussians
from msgm_nb.likelihood import log_likelihood, exact_divergence, hutchinson_divergence, draw_probe

OURS = {  # name: log_likelihood options
    'angle dopri5 logp-norm (default)': dict(),
    'angle tsit5 logp-norm': dict(method='tsit5'),
    'angle dopri8 logp-norm': dict(method='dopri8'),
    'angle bosh3 logp-norm': dict(method='bosh3'),
    'angle dopri5 sample-norm': dict(norm='sample'),
    'angle dopri5 batch-norm': dict(norm='batch'),
    'log-SNR dopri5 logp-norm': dict(time_var='log_snr'),
    't dopri5 sample-norm (old path)': dict(time_var='t', norm='sample'),
}
DEFAULT = 'angle dopri5 logp-norm (default)'
SHORT = ['angle dopri5 logp-norm (default)', 'angle tsit5 logp-norm', 'angle dopri5 sample-norm', 'log-SNR dopri5 logp-norm',
         't dopri5 sample-norm (old path)']
UNET = ['angle dopri5 logp-norm (default)', 'log-SNR dopri5 logp-norm', 't dopri5 sample-norm (old path)']


def register_tsit5() -> bool:
    "Add Tsitouras' 5(4) pair to torchdiffeq's solvers (it has none) through its Runge-Kutta base class; False if that class moved."
    try:
        from torchdiffeq._impl.odeint import SOLVERS
        from torchdiffeq._impl.rk_common import _ButcherTableau, RKAdaptiveStepsizeODESolver
    except ImportError: return False
    a = [[0.161], [-0.008480655492356989, 0.335480655492357], [2.897153057105493, -6.359448489975075, 4.362295432869581],
         [5.325864828439257, -11.748883564062828, 7.495539342889836, -0.09249506636175525],
         [5.86145544294642, -12.92096931784711, 8.159367898576159, -0.071584973281401, -0.028269050394068383]]
    b = [0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081, 2.324710524099774]
    bhat = [0.09468075576583945, 0.009183565540343254, 0.4877705284247616, 1.234297566930479, -2.7077123499835256,
            1.866628418170587, 1 / 66]
    th = .5  # Tsit5's dense output at the middle of the step (its b_i(theta) polynomials), for torchdiffeq's interpolant
    mid = [-1.0530884977290216 * th * (th - 1.3299890189751412) * (th ** 2 - 1.4364028541716351 * th + 0.7139816917074209),
           0.1017 * th ** 2 * (th ** 2 - 2.1966568338249754 * th + 1.2949852507374631),
           2.490627285651252793 * th ** 2 * (th ** 2 - 2.38535645472061657 * th + 1.57803468208092486),
           -16.54810288924490272 * (th - 1.21712927295533244) * (th - 0.61620406037800089) * th ** 2,
           47.37952196281928122 * (th - 1.203071208372362603) * (th - 0.658047292653547382) * th ** 2,
           -34.87065786149660974 * (th - 1.2) * (th - 0.666666666666666667) * th ** 2, 2.5 * (th - 1) * (th - 0.6) * th ** 2]
    f64 = lambda v: torch.tensor(v, dtype=torch.float64)
    tab = _ButcherTableau(alpha=f64([0.161, 0.327, 0.9, 0.9800255409045097, 1., 1.]), beta=[f64(r) for r in a] + [f64(b)],
                          c_sol=f64(b + [0.]), c_error=f64([x - y for x, y in zip(b + [0.], bhat)]))
    assert abs(sum(mid) - th) < 1e-9 and abs(sum(b) - 1) < 1e-9
    SOLVERS.setdefault('tsit5', type('Tsit5Solver', (RKAdaptiveStepsizeODESolver,), dict(order=5, tableau=tab, mid=f64(mid))))
    return True


def reference_log_likelihood(score_fn, sde, x, *, exact_div, probe=None, rtol=1e-5, atol=1e-5, eps=1e-5, prior_logp=None):
    "score-SDE's recipe: the batch and its log-density increments as one float64 numpy vector, one solve_ivp(RK45) call in t."
    shape, B, dev = x.shape, x.shape[0], x.device
    rsde = sde.reverse(score_fn, probability_flow=True)
    def ode_func(t, y):
        xx = torch.from_numpy(y[:-B]).reshape(shape).to(dev, x.dtype).requires_grad_(True)
        with torch.enable_grad():
            drift = rsde.sde(xx, torch.full((B,), t, dtype=x.dtype, device=dev))[0]
            div = exact_divergence(drift, xx) if exact_div else hutchinson_divergence(drift, xx, probe)
        return np.concatenate([drift.detach().reshape(-1).double().cpu().numpy(), div.detach().double().cpu().numpy()])
    init = np.concatenate([x.reshape(-1).double().cpu().numpy(), np.zeros(B)])
    sol = integrate.solve_ivp(ode_func, (eps, sde.T), init, rtol=rtol, atol=atol, method='RK45')
    z = torch.from_numpy(sol.y[:-B, -1]).reshape(shape).to(dev, x.dtype)
    return (sde.prior_logp if prior_logp is None else prior_logp)(z) + torch.from_numpy(sol.y[-B:, -1]).to(dev, x.dtype), sol.nfev


def toy_case(a, dev):
    gm, _ = three_gaussians(torch.float32)
    gm = GaussianMixture(gm.means.to(dev), gm.stds.to(dev), gm.weights.to(dev))
    sde = VPSDE() if a.sde == 'vp' else subVPSDE() if a.sde == 'subvp' else VESDE()
    x, _ = gm.sample(a.n, generator=torch.Generator(dev).manual_seed(0), device=dev)
    truth = gm.log_prob_t(x, 1e-5, sde)
    desc = f"{sde!r}, {a.n} points of the three-Gaussian set, exact divergence, exact log p_T as the prior; error: |log-lik - closed form| in nats"
    return dict(sf=gm.score_fn(sde), sde=sde, x=x, exact_div=True, prior=lambda z: gm.log_prob_t(z, sde.T, sde),
                to_err=lambda ll: ll, truth=truth, desc=desc, tols=(1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6, 1e-6), ref_extra=(),
                recipes=list(OURS), repeats=3)


def mixture784_case(a, dev):
    g = torch.Generator().manual_seed(0); K, D = 8, 784
    gm = GaussianMixture((torch.rand(K, D, generator=g) * 1.6 - .8).to(dev), torch.linspace(.05, .3, K).to(dev))
    sde = VESDE(sigma_max=30.) if a.sde == 've' else VPSDE()
    x, _ = gm.sample(a.n, generator=torch.Generator(dev).manual_seed(0), device=dev)
    prior = lambda z: gm.log_prob_t(z, sde.T, sde)
    probe_seed = 1
    ll_tight = log_likelihood(gm.score_fn(sde), sde, x, rtol=1e-8, atol=1e-8, prior_logp=prior, generator=torch.Generator(dev).manual_seed(probe_seed))
    closed = gm.log_prob_t(x, 1e-5, sde); d = ll_tight - closed
    desc = (f"{sde!r}, {a.n} points of a {K}-component mixture in {D}-D (means in [-0.8, 0.8], stds 0.05-0.3), Hutchinson with one shared "
            f"Rademacher probe, exact log p_T as the prior; error: |log-lik - same-probe solve at 1e-8| in nats. The probe's own noise: "
            f"tight solve - closed form = {d.mean():+.3f} +- {d.std() / len(d) ** .5:.3f} (mean +- se), {d.abs().mean():.3f} mean |.| nats")
    return dict(sf=gm.score_fn(sde), sde=sde, x=x, exact_div=False, probe_seed=probe_seed, prior=prior, to_err=lambda ll: ll,
                truth=ll_tight, desc=desc, tols=(1e-3, 3e-4, 1e-4, 3e-5, 1e-5), ref_extra=(3e-6, 1e-6), recipes=SHORT, repeats=2)


def train_unet(sde, dev, steps, cache):
    "A small U-Net fitted to scikit-learn's digits by denoising score matching (cached)."
    from msgm_nb.nets import UNet
    from msgm_nb.core import score_fn
    from msgm_nb.losses import dsm_loss
    from msgm_nb.datasets import load_digits_images
    net = UNet(in_ch=1, base=16, ch_mult=(1, 2), num_res=1, attn_res=(), image_size=8, sde=sde).to(dev)
    path = Path(cache) / f'unet_digits_vp_{steps}.pt'
    if path.exists(): net.load_state_dict(torch.load(path, map_location=dev)); return net.eval()
    xs = load_digits_images('train').x.to(dev)
    torch.manual_seed(0); opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    ema = {k: v.detach().clone() for k, v in net.state_dict().items()}
    g, t0 = torch.Generator().manual_seed(0), time.time()
    for i in range(steps):
        loss = dsm_loss(score_fn(net, sde), sde, xs[torch.randint(0, len(xs), (128,), generator=g).to(dev)])
        opt.zero_grad(); loss.backward(); opt.step()
        with torch.no_grad():
            for k, v in net.state_dict().items(): ema[k].lerp_(v, 0.02) if v.is_floating_point() else ema[k].copy_(v)
    print(f"trained the U-Net for {steps} steps in {time.time() - t0:.0f} s (final DSM loss {loss.item():.2f}); cached at {path}")
    net.load_state_dict(ema); path.parent.mkdir(parents=True, exist_ok=True); torch.save(ema, path)
    return net.eval()


def unet_case(a, dev):
    from msgm_nb.core import score_fn
    from msgm_nb.datasets import load_digits_images, from_model_range
    sde = VPSDE(); net = train_unet(sde, dev, a.unet_steps, a.cache)
    for p in net.parameters(): p.requires_grad_(False)
    test = load_digits_images('test'); L = test.levels; w = 2 / (L - 1)
    k = from_model_range(test.x[:a.n], L).to(dev)
    x = k.float() * w - 1 + w * (torch.rand(k.shape, generator=torch.Generator(dev).manual_seed(0), device=dev) - .5)
    sf, D, probe_seed = score_fn(net, sde), x[0].numel(), 1
    to_bpd = lambda ll: -ll / (D * math.log(2)) - math.log2(w)
    tight = to_bpd(log_likelihood(sf, sde, x, rtol=1e-7, atol=1e-7, time_var='t', generator=torch.Generator(dev).manual_seed(probe_seed)))
    desc = (f"{sde!r}, {a.n} test digits (8x8, {L} levels, centred dequantisation), U-Net trained {a.unet_steps} steps, Hutchinson with "
            f"one shared Rademacher probe, N(0, I) prior; mean bits/dim {tight.mean():.4f}; error: |bits/dim - the solve at 1e-7|")
    return dict(sf=sf, sde=sde, x=x, exact_div=False, probe_seed=probe_seed, prior=None, to_err=to_bpd, truth=tight, desc=desc,
                tols=(1e-3, 1e-4, 3e-5, 1e-5), ref_extra=(3e-6, 1e-6), recipes=UNET, repeats=1)


def timed(fn, dev):
    if dev.type == 'cuda': torch.cuda.synchronize()
    t0 = time.perf_counter(); out = fn()
    if dev.type == 'cuda': torch.cuda.synchronize()
    return out, time.perf_counter() - t0


def run_all(c, a, dev):
    "{(recipe, tol): (nfe, best wall, errors)} over `repeats` interleaved sweeps."
    gen = lambda: torch.Generator(dev).manual_seed(c['probe_seed']) if not c['exact_div'] else None
    probe = None if c['exact_div'] else draw_probe(c['x'], 'rademacher', gen())   # = the probe log_likelihood draws from gen()
    runs = {'reference (scipy RK45 in t, batch norm)': lambda tol: reference_log_likelihood(
                c['sf'], c['sde'], c['x'], exact_div=c['exact_div'], probe=probe, rtol=tol, atol=tol, prior_logp=c['prior'])}
    for r in c['recipes']:
        runs[r] = lambda tol, o=OURS[r]: log_likelihood(c['sf'], c['sde'], c['x'], exact_div=c['exact_div'], rtol=tol, atol=tol,
                                                         prior_logp=c['prior'], generator=gen(), return_nfe=True, **o)
    for fn in runs.values(): fn(1e-2)                                                 # warm-up
    res = {}
    ref_name = next(iter(runs))
    for rep in range(a.repeats or c['repeats']):
        for tol in sorted(set(c['tols']) | set(c['ref_extra']), reverse=True):
            for name, fn in runs.items():
                if tol not in c['tols'] and name != ref_name: continue
                (ll, nfe), wall = timed(lambda: fn(tol), dev)
                err = (c['to_err'](ll) - c['truth']).abs()
                old = res.get((name, tol)); res[name, tol] = (nfe, min(wall, old[1]) if old else wall, err)
    return res


def report(c, res):
    ref = 'reference (scipy RK45 in t, batch norm)'
    ref_runs = [(v[2].mean().item(), v[1]) for (n, _), v in res.items() if n == ref]
    def ref_time(e):  # the reference's fastest run at least as accurate as e; (time, reached)
        ok = [w for err, w in ref_runs if err <= e]
        return (min(ok), True) if ok else (max(w for _, w in ref_runs), False)
    print(f"{'recipe':40s} {'rtol=atol':>9s} {'NFE':>5s} {'wall s':>8s} {'ref/this':>9s} {'mean|err|':>10s} {'max|err|':>9s}")
    for (name, tol), (nfe, wall, err) in sorted(res.items(), key=lambda kv: (kv[0][0] != ref, kv[0][0], -kv[0][1])):
        rt, reached = ref_time(err.mean().item())
        print(f"{name:40s} {tol:9.0e} {nfe:5d} {wall:8.3f} {('' if reached else '>') + f'{rt / wall:.2f}':>9s} {err.mean():10.2e} {err.max():9.2e}")
    target = res[ref, 1e-5][2].mean().item()
    def best_of(names):
        return max(((ref_time(v[2].mean().item()), v[1], n, t) for (n, t), v in res.items() if n in names and v[2].mean().item() <= target),
                   key=lambda b: b[0][0] / b[1], default=None)
    best = best_of([n for n, _ in res if n != ref])
    if best is None: print(f"no run of msgm_nb reached the reference's accuracy at 1e-5 ({target:.2e})"); return
    for label, b in (('default', best_of([DEFAULT])), ('best', best)):
        if b is None: print(f"{label}: no run reached the target"); continue
        (rt, reached), wall, n, t = b
        print(f"{label}: {n} at {t:.0e}, {wall:.3f} s against the reference's {rt:.3f} s = {rt / wall:.2f}x"
              f"{'' if reached else ' (a lower bound: no reference run was as accurate)'}")
    (rt, reached), wall, n, t = best
    print(f"accuracy target: mean |err| <= {target:.2e} (the reference at rtol = atol = 1e-5)")
    print(f"best speed-up at equal accuracy: {rt / wall:.2f}x")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--case', choices=['toy', 'mixture784', 'unet'], default='toy')
    ap.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    ap.add_argument('--sde', choices=['ve', 'vp', 'subvp'], default=None, help='toy: ve (default), vp or subvp; mixture784: vp (default) or ve')
    ap.add_argument('--n', type=int, default=None, help='batch size (default: toy 256, mixture784 32, unet 16; x8 on cuda)')
    ap.add_argument('--repeats', type=int, default=None, help='interleaved sweeps, each run keeping its fastest time (default: toy 3, mixture784 2, unet 1)')
    ap.add_argument('--threads', type=int, default=1, help='torch threads on the CPU')
    ap.add_argument('--unet-steps', type=int, default=300, help='training steps of the U-Net (cached in --cache)')
    ap.add_argument('--cache', default='runs/bench')
    a = ap.parse_args()
    if a.device == 'cuda' and not torch.cuda.is_available(): ap.error("--device cuda: no CUDA device is available")
    torch.set_num_threads(a.threads); torch.set_flush_denormal(True)   # denormals slow the mixture scores tenfold on some CPUs
    dev = torch.device(a.device)
    a.sde = a.sde or ('vp' if a.case == 'mixture784' else 've')
    a.n = a.n or {'toy': 256, 'mixture784': 32, 'unet': 16}[a.case] * (8 if a.device == 'cuda' else 1)
    tsit5 = register_tsit5()
    c = {'toy': toy_case, 'mixture784': mixture784_case, 'unet': unet_case}[a.case](a, dev)
    if not tsit5: c['recipes'] = [r for r in c['recipes'] if 'tsit5' not in r]
    print(f"case {a.case} on {a.device} ({torch.get_num_threads()} torch threads): {c['desc']}")
    report(c, run_all(c, a, dev))


if __name__ == '__main__':
    main()
