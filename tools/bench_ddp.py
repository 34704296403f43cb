"""Throughput of data-parallel training (TrainConfig(ddp=True)) against one process, measured in one run.

Trains the digits U-Net of `ImageConfig.preset('digits', 'fast')` (Unseen mode, global batch `--batch`) for `--steps` steps: in one process
with `--threads` torch threads, in one process with `world x threads` threads (on a CPU, the fair alternative), and in `--world` data-parallel
processes (gloo on CPU, NCCL on CUDA) of `--threads` threads each; prints images per second and the speed-ups.
Usage: python tools/bench_ddp.py [--world 2] [--steps 60] [--batch 64] [--threads 1] [--device cpu]
"""
import argparse, json, os, socket, tempfile, time
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

def _port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def _worker(rank, world, port, a, out, threads):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port)); torch.set_num_threads(threads)
    cuda = a.device == 'cuda'
    if world > 1: dist.init_process_group('nccl' if cuda else 'gloo', rank=rank, world_size=world)
    from msgm_nb.images import ImageConfig, load_image_data, make_sde, make_model
    from msgm_nb.train import TrainConfig, train
    cfg = ImageConfig.preset('digits', 'fast'); data = load_image_data(cfg); sde = make_sde(cfg, data.x); x_g, _ = data.split()
    dev = f'cuda:{rank}' if cuda else 'cpu'
    tc = dict(mode='unseen', batch_g=a.batch, batch_f=a.batch, device=dev, progress=False, ddp=world > 1, log_every=10 ** 9)
    train(make_model(cfg, data.shape, sde), sde, x_g, None, TrainConfig(steps=3, **tc))        # warm-up (allocations, DDP set-up)
    if world > 1: dist.barrier()
    t0 = time.perf_counter(); train(make_model(cfg, data.shape, sde), sde, x_g, None, TrainConfig(steps=a.steps, **tc))
    if cuda: torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    if rank == 0: open(out, 'w').write(json.dumps(dict(world=world, seconds=dt)))
    if world > 1: dist.destroy_process_group()

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--world', type=int, default=2); p.add_argument('--steps', type=int, default=60)
    p.add_argument('--batch', type=int, default=64); p.add_argument('--threads', type=int, default=1)
    p.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    a = p.parse_args()
    runs = [('1 process', 1, a.threads), (f'1 process, {a.world * a.threads} threads', 1, a.world * a.threads),
            (f'{a.world} processes (ddp)', a.world, a.threads)]
    if a.device == 'cuda': runs.pop(1)
    res = {}
    for name, w, th in runs:
        out = tempfile.mktemp(suffix='.json')
        mp.spawn(_worker, args=(w, _port(), a, out, th), nprocs=w, join=True)
        res[name] = json.loads(open(out).read())['seconds']
        print(f"{name:>24}: {a.steps} steps of global batch {a.batch} in {res[name]:.1f} s = {a.steps * a.batch / res[name]:.0f} images/s")
    base = res[runs[0][0]]
    for name in list(res)[1:]:
        print(f"speed-up of '{name}' over '{runs[0][0]}' ({a.threads} thread(s)): {base / res[name]:.2f}x")
    print(f"({a.device}, {os.cpu_count()} CPUs visible, torch {torch.__version__})")

if __name__ == '__main__': main()
