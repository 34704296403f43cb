"""Cost of an MSGM training step vs a plain DSM step on the same network and batch, measured in one run.

Runs `msgm_nb.train.train` (so the numbers include everything a real step does: batch sampling, loss, backward, clipping, Adam, EMA) with
  plain        mode='unseen'  (DSM on D_g only)
  alternating  mode='msgm', every=4  (L_f on every 4th step; the paper's choice)
  simultaneous mode='msgm', every=1  (L_f on every step; the ablation)
on the U-Net at 28x28 (1 channel) with batch_g = batch_f. Per-step times come from a callback's timestamps; the first cycle is warm-up;
the modes are interleaved over several repeats. Reported: the minimum and the median over all timed cycles (on a shared machine the
minimum is the robust estimate of the cost; the median shows the noise); ratios use the minimum. Expected from the arithmetic: an
L_f step pushes batch_g + batch_f samples through the network, so alternating costs about 1 + (batch_f/batch_g)/4 = 1.25x and simultaneous
about 2x (a little less: one concatenated forward pass is cheaper than two).

    python benchmarks/train_step.py [--batch 32] [--cycles 3] [--repeats 3] [--threads N] [--device cpu]
"""
import argparse, statistics, time
import torch
from msgm_nb.core import set_seed, get_device
from msgm_nb.nets import UNet
from msgm_nb.sde import VPSDE
from msgm_nb.train import TrainConfig, train


def cycle_times(mode, every, x_g, x_f, args, init_sd):
    "Seconds per step of each of `cycles` cycles of 4 steps (each holds exactly one L_f step when k=4), after one warm-up cycle."
    net = UNet(in_ch=1, base=args.base, ch_mult=(1, 2, 2), num_res=1, attn_res=(7,), image_size=28)
    net.load_state_dict(init_sd)
    stamps = []
    cb = lambda s, i: (torch.cuda.synchronize() if x_g.is_cuda else None, stamps.append(time.perf_counter()))
    n = 4 * (args.cycles + 1)
    cfg = TrainConfig(mode=mode, every=every, steps=n, batch_g=args.batch, batch_f=args.batch, lr=2e-4, ema=0.999,
                      seed=0, device=args.device, progress=False, log_every=n)
    train(net, VPSDE(), x_g, x_f, cfg, callback=cb)
    # stamps[3] is the end of the warm-up cycle (steps 0..3); then whole cycles, each with exactly one L_f step
    return [(stamps[4 * c + 3] - stamps[4 * c - 1]) / 4 for c in range(1, args.cycles + 1)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--base', type=int, default=32, help='U-Net base width')
    ap.add_argument('--cycles', type=int, default=3, help='timed cycles of 4 steps per measurement')
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch decides)')
    ap.add_argument('--device', default='cpu')
    args = ap.parse_args()
    if args.threads: torch.set_num_threads(args.threads)
    dev = get_device(args.device)
    set_seed(0)
    x_g, x_f = torch.randn(512, 1, 28, 28), torch.randn(128, 1, 28, 28) + 0.5
    init_sd = UNet(in_ch=1, base=args.base, ch_mult=(1, 2, 2), num_res=1, attn_res=(7,), image_size=28).state_dict()
    n_par = sum(v.numel() for k, v in init_sd.items() if not k.endswith('.W'))
    print(f"UNet(in_ch=1, base={args.base}, ch_mult=(1,2,2), attn_res=(7,), image_size=28): {n_par:,} parameters; "
          f"batch_g = batch_f = {args.batch}; device {dev}; torch threads {torch.get_num_threads()}")
    runs = {'plain DSM (unseen)': ('unseen', 1), 'MSGM alternating (k=4)': ('msgm', 4), 'MSGM simultaneous (k=1)': ('msgm', 1)}
    times = {k: [] for k in runs}
    for r in range(args.repeats):
        for name, (mode, every) in runs.items():
            times[name] += cycle_times(mode, every, x_g, x_f, args, init_sd)
    best = {k: min(v) for k, v in times.items()}
    base = best['plain DSM (unseen)']
    print(f"{'':26s} {'ms/step (min)':>14s} {'(median)':>9s} {'ratio':>7s}   cycles timed")
    for k, v in times.items():
        print(f"{k:26s} {1e3 * best[k]:14.1f} {1e3 * statistics.median(v):9.1f} {best[k] / base:6.2f}x   {len(v)}")
    alt = best['MSGM alternating (k=4)'] / base
    print(f"alternating / plain = {alt:.2f}x (target <= 1.3x): {'OK' if alt <= 1.3 else 'ABOVE TARGET'}; "
          f"simultaneous / plain = {best['MSGM simultaneous (k=1)'] / base:.2f}x")


if __name__ == '__main__':
    main()
