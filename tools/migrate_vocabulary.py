"""One metric vocabulary for every stored result: run once, its output committed (the records keep their hashes).

Units live in the names: the toy's NLL in nats is `nll_g_nats` / `nll_f_nats` and its bits/dim `bpd_g` / `bpd_f`; an
image data set's NLL is `bpd_g` / `bpd_f` (bits/dim) and its FID `fid_g`; the unlearning ratio is one float `ur`, the
per-class rates `ur_per_class`. A setting is spelled `alpha=0.9 k=4` in every row name. A run whose samples are all
non-finite is `diverged`. Rewrites, in place and atomically:
  - every record under nbs/results/verdict/<study>/ (row, metrics, diverged; fields and hash unchanged);
  - the stored results of the smoke runs that use the same evaluators (nbs/results/toy, nbs/results/leaderboard,
    the digits and Fashion-MNIST results files).
The summaries and convergence files are then rebuilt from the records by the package itself:
  msgm verdict toy --aggregate; msgm verdict digits --aggregate; msgm verdict leaderboard --aggregate
  python tools/migrate_vocabulary.py --rebuild-convergence

`--rename-erasediff` (a separate step, run once): the image pipeline's first-order joint objective L_g + lam * f with
EraseDiff's forget loss (`msgm_nb.train` mode, image methods `erasediff` and `ft_erasediff`) is now called
`erasediff_joint` / `ft_erasediff_joint`; `erasediff` is only EraseDiff's bi-level update of `msgm_nb.unlearn` and the
leaderboard, whose records and results stay as they are. The step
  - rewrites each digits-ve verdict record with fields.method 'erasediff': fields.method and row 'erasediff_joint', its
    cost group with the new method, and its hash recomputed as `RunSpec.hash` does (`result_hash` of the experiment
    and the fields with the seed). Each new hash must be the hash of an `erasediff_joint` spec of the registry's
    verdict plan (`study('digits-ve').specs('verdict', 3)`), with the same row, cost and fields; the record is written
    under its new file name first, then the old file is deleted;
  - renames the image-method keys and values `erasediff` -> `erasediff_joint` and `ft_erasediff` ->
    `ft_erasediff_joint` (as whole names, also inside a stored command line) in the image smoke results `IMAGE_SMOKE`.
Afterwards rebuild the summary: msgm verdict digits --tables digits-ve --aggregate
Usage: python tools/migrate_vocabulary.py [--dry-run] [--rebuild-convergence | --rename-erasediff]"""
import argparse, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / 'nbs' / 'results'
TOY = {'unlearning_ratio': 'ur', 'nll_g': 'nll_g_nats', 'nll_f': 'nll_f_nats',
       'nll_g_bpd': 'bpd_g', 'nll_f_bpd': 'bpd_f'}
LB_TOY = {'nll_g': 'nll_g_nats', 'nll_f': 'nll_f_nats'}
LB_DIGITS = {'nll_g': 'bpd_g', 'nll_f': 'bpd_f', 'fid': 'fid_g'}


def rename(d: dict, names: dict) -> dict:
    "`d` with its keys renamed by `names` (order kept); a key that is already new stays."
    return {names.get(k, k): v for k, v in d.items()}


def split_ur(d: dict) -> dict:
    "An image result whose `ur` is `{class: rate, ..., 'all': rate}`: `ur` the float, `ur_per_class` the rest."
    if not isinstance(d.get('ur'), dict) or 'all' not in d['ur']:
        return d
    out = {}
    for k, v in d.items():
        if k == 'ur':
            out['ur'] = v['all']
            out['ur_per_class'] = {c: r for c, r in v.items() if c != 'all'}
        else:
            out[k] = v
    return out


def walk(v, fix):
    "Apply `fix` to every dict inside `v`, innermost first."
    if isinstance(v, dict):
        return fix({k: walk(x, fix) for k, x in v.items()})
    if isinstance(v, list):
        return [walk(x, fix) for x in v]
    return v


_MSGM_ROW = re.compile(r'^(\w+?)(?:_a([0-9.]+))?(?:_k(\d+))?$')


def row_name(row: str) -> str:
    "One spelling of a setting: 'obtuse a=0.9 k=4' (toy) and 'obtuse_a0.9' (images) become 'obtuse alpha=0.9 ...'."
    head, sep, budget = row.partition(' x') if re.search(r' x\d+$', row) else (row, '', '')
    head = re.sub(r'(^| )a=', r'\1alpha=', head)
    if ' ' not in head and (m := _MSGM_ROW.match(head)) and (m.group(2) or m.group(3)):
        alpha, k = m.group(2), m.group(3)
        head = m.group(1) + (f' alpha={alpha}' if alpha else '') + (f' k={k}' if k else '')
    return head + (sep + budget if sep else '')


def lb_toy(d: dict) -> dict:
    "A toy leaderboard row: nats in the names, no FID (the toy part has none; it was always None)."
    return rename({k: v for k, v in d.items() if k != 'fid'}, LB_TOY)


def record(r: dict) -> dict:
    "A verdict record in the new vocabulary."
    study, m = r['experiment'], dict(r['metrics'])
    if study == 'toy':
        m = rename(m, TOY)
    elif study.startswith('digits-'):
        m = split_ur(m)
    elif study == 'leaderboard-toy':
        m = lb_toy(m)
    elif study == 'leaderboard-digits':
        m = rename(m, LB_DIGITS)
    n = r['fields'].get('n_samples', r['fields'].get('samples'))
    if 'nonfinite_samples' in m and n and m['nonfinite_samples'] == n:
        m['diverged'] = True   # every sample non-finite: the run diverged, whatever the field said
    return dict(r, row=row_name(r['row']), metrics=m)


def smoke(path: Path, data):
    "A smoke run's stored results in the new vocabulary (which evaluator wrote it decides the names)."
    rel = path.relative_to(RESULTS).as_posix()
    if rel in ('toy/results.json', 'toy/explorer/frames.json'):
        return walk(data, lambda d: rename(d, TOY))
    if rel == 'leaderboard/results.json':
        fix = {'toy': lb_toy, 'digits': lambda d: rename(d, LB_DIGITS)}
        return {k: walk(v, fix[k.split('_')[0]]) if k.split('_')[0] in fix else v for k, v in data.items()}
    return walk(data, split_ur)   # image results: only `ur` changes shape


SMOKE = ('toy/results.json', 'toy/explorer/frames.json', 'leaderboard/results.json', 'digits.json', 'digits_ddpm.json',
         'digits_ddpm_run/results.json',
         'fashion_gpu.json', 'fashion_gpu_nll.json', 'digits_ur_classifiers.json', 'downstream_digits.json',
         'downstream_fashion.json')


def write(path: Path, data, dry: bool) -> bool:
    "Write `data` as JSON (indent 1, keys sorted where the file had them sorted) if it changed; True if it did."
    text = path.read_text()
    old = json.loads(text)
    if data == old:
        return False
    new = json.dumps(data, indent=1, sort_keys=isinstance(old, dict) and list(old) == sorted(old))
    if not dry:
        tmp = path.with_suffix('.tmp')
        tmp.write_text(new + ('\n' if text.endswith('\n') else ''))
        tmp.replace(path)
    return True


def rebuild_convergence() -> None:
    "Rewrite converge-<study>.json and .png from the migrated records with the package's own `convergence`."
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from msgm_nb.core import atomic_write, atomic_savefig
    from msgm_nb.registry import REGISTRY
    from msgm_nb.verdict import convergence, plot_convergence
    root = RESULTS / 'verdict'
    for name, exp in REGISTRY.items():
        p = root / f'converge-{name}.json'
        if exp.convergence is None or not p.exists():
            continue
        old = json.loads(p.read_text())
        base = exp.convergence_specs('verdict', (1,))[0].fields['steps']
        steps = sorted({s for c in old['curves'].values() for pts in c.values() for s, _ in pts})
        budgets = tuple(s // base for s in steps)
        conv = convergence(exp.convergence_specs('verdict', budgets), root, exp.tolerances, exp.one_sided)
        assert conv['chosen'] == old['chosen'], (name, conv['chosen'], old['chosen'])
        fig = plot_convergence(conv, title=f'{name}: held-out metrics against the training budget (seed 0)')
        atomic_savefig(fig, root / f'converge-{name}.png', dpi=100)
        plt.close(fig)
        atomic_write(p, json.dumps(conv, indent=1) + '\n')
        print(f'{p.relative_to(ROOT)}: rebuilt from the records (budgets {budgets}, chosen {conv["chosen"]})')


OLD_JOINT = {'erasediff': 'erasediff_joint', 'ft_erasediff': 'ft_erasediff_joint'}
_OLD_JOINT_NAME = re.compile(r'(?<![\w-])(ft_)?erasediff(?![\w-])')
IMAGE_SMOKE = ('digits.json', 'digits_ddpm.json', 'digits_ddpm_run/results.json', 'fashion_gpu.json',
               'fashion_gpu_nll.json', 'digits_ur_classifiers.json', 'downstream_digits.json',
               'downstream_fashion.json')


def joint_name(v):
    "A string with the old image-method names (whole names only) spelled `erasediff_joint` / `ft_erasediff_joint`."
    return _OLD_JOINT_NAME.sub(lambda m: OLD_JOINT[m.group(0)], v) if isinstance(v, str) else v


def joint_names(v):
    "`v` with every dict key and string value renamed by `joint_name` (order kept)."
    if isinstance(v, dict):
        return {joint_name(k): joint_names(x) for k, x in v.items()}
    if isinstance(v, list):
        return [joint_names(x) for x in v]
    return joint_name(v)


def joint_record(r: dict) -> dict:
    "A digits-ve record of method 'erasediff' as the record of 'erasediff_joint': method, row, cost and hash."
    from msgm_nb.verdict import result_hash
    fields = dict(r['fields'], method='erasediff_joint')
    assert r['cost'].endswith('-erasediff'), r['cost']
    return dict(r, fields=fields, row='erasediff_joint', cost=r['cost'][: -len('erasediff')] + 'erasediff_joint',
                hash=result_hash(r['experiment'], dict(fields, seed=r['seed'])))


def rename_erasediff(dry: bool) -> int:
    "The `--rename-erasediff` step: digits-ve's records of 'erasediff' and the image smoke results (see the docstring)."
    from msgm_nb.core import atomic_write
    from msgm_nb.registry import study
    from msgm_nb.verdict import read_record, _canon
    plan = {s.hash: s for s in study('digits-ve').specs('verdict', 3) if s.fields['method'] == 'erasediff_joint'}
    n = 0
    for p in sorted((RESULTS / 'verdict' / 'digits-ve').glob('*.json')):
        r = read_record(p)
        if r['fields'].get('method') != 'erasediff':
            continue
        new = joint_record(r)
        s = plan.get(new['hash'])
        assert s is not None, f"{p.name}: new hash {new['hash']} is not in the registry's plan ({sorted(plan)})"
        assert (s.row, s.seed, s.cost, s.experiment) == (new['row'], new['seed'], new['cost'], new['experiment']), p
        assert _canon(s.fields) == _canon(new['fields']), p
        q = p.with_name(f"{new['hash']}.json")
        print(f"{p.relative_to(ROOT)} -> {q.name}{' (dry run)' if dry else ''}")
        if not dry:
            atomic_write(q, json.dumps(new, indent=1, sort_keys=True) + '\n')   # the new file first, then the old goes
            assert read_record(q) == new
            p.unlink()
        n += 1
    print(f"{n} digits-ve record(s) of 'erasediff' {'would be renamed' if dry else 'renamed'}")
    for rel in IMAGE_SMOKE:
        p = RESULTS / rel
        if not p.exists():
            continue
        text = p.read_text()
        old = json.loads(text)
        new = joint_names(old)
        if new == old:
            continue
        if not dry:
            atomic_write(p, json.dumps(new, indent=1) + ('\n' if text.endswith('\n') else ''))
        print(f'{rel}: {"would change" if dry else "renamed"}')
    return n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--dry-run', action='store_true', help='say what would change; write nothing')
    ap.add_argument('--rebuild-convergence', action='store_true',
                    help='only rebuild the convergence files (after the code moved)')
    ap.add_argument('--rename-erasediff', action='store_true',
                    help="only rename the image pipeline's joint objective 'erasediff' to 'erasediff_joint'")
    a = ap.parse_args(argv)
    if a.rename_erasediff:
        rename_erasediff(a.dry_run)
        return 0
    if a.rebuild_convergence:
        rebuild_convergence()
        return 0
    n = 0
    for p in sorted((RESULTS / 'verdict').glob('*/*.json')):
        r = json.loads(p.read_text())
        n += write(p, record(r), a.dry_run)
    print(f'{n} record(s) {"would change" if a.dry_run else "migrated"}')
    for rel in SMOKE:
        p = RESULTS / rel
        if p.exists() and write(p, smoke(p, json.loads(p.read_text())), a.dry_run):
            print(f'{rel}: {"would change" if a.dry_run else "migrated"}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
