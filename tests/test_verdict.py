"""Verdict records across notebooks: `msgm verdict` as a real process (records, skip on rerun, --list, summaries), the result hash of every
toy and image field, and aggregation of made-up records."""
import json, math, subprocess, sys
from dataclasses import replace, fields
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
MSGM = [sys.executable, '-m', 'msgm_nb.cli']

def run(*args):
    return subprocess.run(MSGM + list(args), cwd=ROOT, capture_output=True, text=True, timeout=900)

def test_msgm_verdict_toy_tiny(tmp_path):
    out, work = tmp_path / 'records', tmp_path / 'work'
    common = ['--preset', 'tiny', '--seeds', '2', '--out', str(out), '--work', str(work), '--no-progress']
    r = run('verdict', 'toy', '--list', *common)
    assert r.returncode == 0 and r.stdout.strip().splitlines()[-1] == '0 done, 6 missing', r.stdout + r.stderr[-2000:]
    assert not out.exists()                                   # --list writes nothing
    r = run('verdict', 'toy', '--max-runs', '4', *common)
    assert r.returncode == 0, r.stderr[-3000:]
    assert len(list((out / 'toy').glob('*.json'))) == 4 and '4 done, 2 missing' in r.stdout
    r = run('verdict', 'toy', '--workers', '2', *common)      # resumes: the two missing runs, in two processes
    assert r.returncode == 0 and '2 run(s) done now, 4 had records' in r.stdout, r.stdout + r.stderr[-3000:]
    recs = [json.loads(p.read_text()) for p in (out / 'toy').glob('*.json')]
    assert len(recs) == 6 and {r['seed'] for r in recs} == {0, 1} and all('-core CPU' in r['device'] and r['seconds'] > 0 for r in recs)
    before = {p.name: p.stat().st_mtime_ns for p in (out / 'toy').glob('*.json')}
    r = run('verdict', 'toy', *common)                         # nothing left: no run, no record rewritten
    assert r.returncode == 0 and '0 run(s) done now, 6 had records' in r.stdout
    assert before == {p.name: p.stat().st_mtime_ns for p in (out / 'toy').glob('*.json')}
    summ = json.loads((out / 'toy_summary.json').read_text())
    assert summ['done'] == 6 and summ['missing_runs'] == 0
    assert set(summ['rows']) == {'standard', 'unseen', 'obtuse alpha=0.99 k=4'}
    m, se, n = summ['rows']['unseen']['nll_g_nats']
    vals = [r['metrics']['nll_g_nats'] for r in recs if r['row'] == 'unseen']
    assert n == 2 and math.isclose(m, sum(vals) / 2) and math.isclose(se, abs(vals[0] - vals[1]) / 2)
    assert (out / 'toy_summary.md').read_text().startswith('| row | n |') and (out / 'toy_summary.png').stat().st_size > 1000

def test_msgm_converge_toy_tiny(tmp_path):
    "The study as a real process: two rungs trained, the summary names the one-sided held-out NLL; a rerun trains nothing."
    common = ['--preset', 'tiny', '--budgets', '1,2', '--out', str(tmp_path), '--work', str(tmp_path / 'work'), '--no-progress']
    r = run('converge', 'toy', *common)
    assert r.returncode == 0, r.stderr[-3000:]
    conv = json.loads((tmp_path / 'converge-toy.json').read_text())
    assert conv['one_sided'] == ['nll_g_nats'] and set(conv['tolerances']) == {'nll_g_nats', 'ur'}
    assert [(x['steps'], x['doubled'], x['complete']) for x in conv['rows']] == [(120, 240, True)] and (tmp_path / 'converge-toy.png').exists()
    recs = {p.name: p.stat().st_mtime_ns for p in (tmp_path / 'toy').glob('*.json')}
    assert len(recs) == 4
    r = run('converge', 'toy', *common)
    assert r.returncode == 0 and recs == {p.name: p.stat().st_mtime_ns for p in (tmp_path / 'toy').glob('*.json')}

def test_msgm_run_is_the_verdict_pathway_on_a_small_preset(tmp_path):
    "`msgm run` (the smoke run) writes the verdict's records with the verdict's runner, one seed, into its scratch folder."
    out = tmp_path / 'smoke'
    r = run('run', 'toy', '--preset', 'tiny', '--max-runs', '1', '--out', str(out), '--no-progress')
    assert r.returncode == 0 and '1 run(s) done now, 0 had records, 2 left' in r.stdout, r.stdout + r.stderr[-3000:]
    (rec,) = [json.loads(p.read_text()) for p in (out / 'toy').glob('*.json')]
    assert (rec['experiment'], rec['row'], rec['seed']) == ('toy', 'standard', 0)
    from msgm_nb.registry import study
    spec = study('toy').specs('tiny', 1)[0]
    assert rec['hash'] == spec.hash and rec['fields'] == json.loads(json.dumps(spec.to_dict()['fields']))   # the verdict's own spec
    assert json.loads((out / 'toy_summary.json').read_text())['done'] == 1 and (out / 'toy_exact.json').exists()
    r = run('run', 'toy', '--preset', 'tiny', '--list', '--out', str(out))
    assert r.returncode == 0 and r.stdout.strip().splitlines()[-1] == '1 done, 2 missing', r.stdout

def test_verdict_bad_arguments(tmp_path):
    r = run('verdict', 'nope')
    assert r.returncode == 2 and "'nope' is neither a study nor a set of studies; studies: toy, digits-ve" in r.stderr
    r = run('verdict', 'toy', '--deadline', 'nan', '--out', str(tmp_path / 'n'))
    assert r.returncode == 2 and '--deadline' in r.stderr and 'nan' in r.stderr and not (tmp_path / 'n').exists()
    r = run('converge', 'digits', '--out', str(tmp_path / 'c'))
    assert r.returncode == 2 and 'digits is a set of studies; converge one of them: digits-ve, digits-ddpm' in r.stderr
    r = run('run', 'toy', '--preset', 'paper', '--out', str(tmp_path / 'p'))
    assert r.returncode == 2 and '--preset' in r.stderr and not (tmp_path / 'p').exists()
    r = run('converge', 'toy', '--budgets', '1,3', '--out', str(tmp_path))
    assert r.returncode == 2 and '--budgets' in r.stderr and not any(tmp_path.iterdir())
    r = run('converge', 'toy', '--budgets', '1,two', '--out', str(tmp_path))
    assert r.returncode == 2 and "--budgets must be comma-separated integers, got '1,two'" in r.stderr and not any(tmp_path.iterdir())
    r = run('verdict', 'toy', '--device', 'cuda:7', '--out', str(tmp_path / 'x'))
    assert r.returncode == 2 and 'cuda:7' in r.stderr and not (tmp_path / 'x').exists()
    r = run('verdict', 'leaderboard', '--tables', 'leaderboard-toy,toy', '--out', str(tmp_path / 'y'))
    assert r.returncode == 2 and "--tables: toy is not a table of leaderboard" in r.stderr and not (tmp_path / 'y').exists()
    r = run('verdict', 'toy', '--order', 'fastest', '--out', str(tmp_path / 'z'))
    assert r.returncode == 2 and '--order' in r.stderr and 'fastest' in r.stderr and not (tmp_path / 'z').exists()
    r = run('verdict', 'toy', '--force', '--out', str(tmp_path / 'f'))
    assert r.returncode == 2 and '--force: only with --figures' in r.stderr and not (tmp_path / 'f').exists()

def test_verdict_tables_select_a_part(tmp_path):
    common = ['--preset', 'tiny', '--seeds', '1', '--list', '--out', str(tmp_path / 'r')]
    both, toy = run('verdict', 'leaderboard', *common), run('verdict', 'leaderboard', '--tables', 'leaderboard-toy', *common)
    assert both.returncode == 0 and toy.returncode == 0, both.stderr + toy.stderr
    from msgm_nb.leaderboard import LeaderboardConfig
    cfg = LeaderboardConfig.preset('tiny')
    n = 2 + sum(len(cfg.grid(m)) for m in cfg.methods)  # Standard and Unseen, then every method's grid of settings
    assert both.stdout.strip().splitlines()[-1] == f'0 done, {2 * n} missing' and toy.stdout.strip().splitlines()[-1] == f'0 done, {n} missing'
    assert 'leaderboard-digits' in both.stdout and 'leaderboard-digits' not in toy.stdout
    cheap = run('verdict', 'leaderboard', '--tables', 'leaderboard-toy', '--order', 'cheapest', *common)   # --list shows the run order
    lines = cheap.stdout.strip().splitlines()
    assert cheap.returncode == 0 and lines[-1] == f'0 done, {n} missing', cheap.stdout + cheap.stderr
    assert [l.split()[2] for l in lines[:3]] == ['standard', 'unseen', 'retain-finetune'] and sorted(lines) == sorted(toy.stdout.strip().splitlines())

def _flip(v):
    if isinstance(v, bool): return not v
    if isinstance(v, int): return v + 1
    if isinstance(v, float): return v * 0.5 + 0.001 if v < 1 else v * 1.5
    if isinstance(v, tuple): return v + v[:1]
    if isinstance(v, str): return v + 'x'
    return v

def test_toy_hash_covers_exactly_the_result_fields():
    from msgm_nb.toy import ToyConfig, toy_spec, TOY_RESULT_FIELDS
    cfg = ToyConfig.preset('verdict'); h = toy_spec(cfg, 'obtuse', 0).hash
    for f in fields(ToyConfig):
        v = getattr(cfg, f.name)
        if f.name in ('variants', 'alphas', 'everys'): continue          # sweep settings: not fields of one run
        other = replace(cfg, **{f.name: _flip(v)})
        changed = toy_spec(other, 'obtuse', 0).hash != h
        should = f.name in TOY_RESULT_FIELDS or f.name in ('seed', 'steps', 'alpha', 'every')
        assert changed == should, f"{f.name}: hash {'changed' if changed else 'unchanged'}"
    assert toy_spec(cfg, 'obtuse', 1).hash != h

def test_image_hash_covers_exactly_the_result_fields():
    from msgm_nb.images import ImageConfig
    from msgm_nb.imagestudy import image_spec, IMAGE_RESULT_FIELDS
    cfg = ImageConfig.preset('digits', 'verdict'); h = image_spec(cfg, 'obtuse', 0).hash
    for f, v in (('lr', 3e-4), ('steps', 9), ('ema', 0.99), ('alpha', 0.9), ('n_samples', 7), ('nll_tol', 1e-2), ('clf_width', 8), ('sde', 'vp'), ('forget', [1])):
        assert image_spec(replace(cfg, **{f: v}), 'obtuse', 0).hash != h, f
    for f, v in (('root', 'elsewhere'), ('verify', False), ('methods', ('standard',)), ('seed', 5)):   # cfg.seed is replaced by the run's seed
        assert image_spec(replace(cfg, **{f: v}), 'obtuse', 0).hash == h, f
    assert set(IMAGE_RESULT_FIELDS) >= set(ImageConfig.TRAIN_KEYS) - {'seed'}

def test_leaderboard_digits_adopts_the_verdict_sets_model(tmp_path):
    "A leaderboard digits run copies its seed's Unseen model from the digits verdict set in the same work folder instead of training it again."
    common = ['--preset', 'tiny', '--seeds', '1', '--out', str(tmp_path / 'out'), '--work', str(tmp_path / 'work'), '--no-progress']
    r = run('verdict', 'digits', '--tables', 'digits-ve', '--max-runs', '1', *common)         # the tiny set's first run: Unseen, seed 0
    assert r.returncode == 0, r.stderr[-3000:]
    donor = list((tmp_path / 'work' / 'digits-ve').glob('*/unseen/train_info.json'))
    assert len(donor) == 1 and not list((tmp_path / 'work' / 'digits-ve').glob('*/standard'))
    r = run('verdict', 'leaderboard', '--tables', 'leaderboard-digits', '--max-runs', '2', *common)   # Standard (trained), Unseen (adopted)
    assert r.returncode == 0 and '2 run(s) done now' in r.stdout, r.stdout + r.stderr[-3000:]
    lb = tmp_path / 'work' / 'leaderboard-digits'
    got = list(lb.glob('*/digits/unseen/train_info.json'))
    assert len(got) == 1 and got[0].read_bytes() == donor[0].read_bytes()      # the donor's file: no second training
    ck = lambda d: sorted(p.name for p in d.glob('step_*'))
    assert ck(got[0].parent) == ck(donor[0].parent)[-2:]
    assert (got[0].parent / ck(got[0].parent)[-1]).read_bytes() == (donor[0].parent / ck(got[0].parent)[-1]).read_bytes()
    assert len(list(lb.glob('*/digits/standard/train_info.json'))) == 1           # no donor for Standard: trained here
    recs = [json.loads(p.read_text()) for p in (tmp_path / 'out' / 'leaderboard-digits').glob('*.json')]
    assert sorted(r['row'] for r in recs) == ['standard', 'unseen']

def test_verdict_figures_draws_finished_models_only(tmp_path):
    "`msgm verdict digits --figures` draws the seed-0 models a run finished, names the rest, trains nothing; without models it exits 2 first."
    common = ['--preset', 'tiny', '--out', str(tmp_path / 'r'), '--work', str(tmp_path / 'w'), '--no-progress']
    r = run('verdict', 'digits', '--figures', *common)
    assert r.returncode == 2 and '--figures' in r.stderr and 'no finished seed-0 model' in r.stderr and not (tmp_path / 'r').exists()
    r = run('verdict', 'leaderboard-toy', '--figures', *common)               # a leaderboard is drawn from records: none here
    assert r.returncode == 2 and f"--figures: {tmp_path / 'r'} holds no record of leaderboard-toy" in r.stderr
    r = run('verdict', 'digits', '--tables', 'digits-ve', '--max-runs', '1', *common)
    assert r.returncode == 0, r.stderr[-3000:]
    trained = sorted(p.parent.name for p in (tmp_path / 'w').rglob('train_info.json'))
    r = run('verdict', 'digits', '--figures', *common)
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'digits-ve: 1 row(s) drawn' in r.stdout and 'no model yet for obtuse' in r.stdout and 'no finished seed-0 model of digits-ddpm' in r.stdout
    assert (tmp_path / 'r' / 'digits-ve_samples.png').stat().st_size > 1000 and not (tmp_path / 'r' / 'digits-ddpm_samples.png').exists()
    assert sorted(p.parent.name for p in (tmp_path / 'w').rglob('train_info.json')) == trained == ['unseen']
    png = tmp_path / 'r' / 'digits-ve_samples.png'
    assert json.loads(png.with_suffix('.json').read_text())['rows'] == ['unseen']   # the figure's rows, beside it
    # a figure that shows a row whose model the work folder lacks is kept (never a poorer figure over a fuller one) unless --force
    png.with_suffix('.json').write_text(json.dumps(dict(rows=['unseen', 'obtuse'], seed=0, n=32)))
    before = png.stat().st_mtime_ns
    r = run('verdict', 'digits', '--figures', *common)
    assert r.returncode == 0 and 'digits-ve: keeps' in r.stdout and 'it shows obtuse, whose seed-0 models are not in' in r.stdout, r.stdout
    assert png.stat().st_mtime_ns == before
    png.with_suffix('.json').unlink()                                              # nor a figure no row list describes
    r = run('verdict', 'digits', '--figures', *common)
    assert r.returncode == 0 and 'no readable digits-ve_samples.json says which rows it shows' in r.stdout and png.stat().st_mtime_ns == before
    r = run('verdict', 'digits', '--figures', '--force', *common)
    assert r.returncode == 0 and 'digits-ve: 1 row(s) drawn' in r.stdout and png.stat().st_mtime_ns != before
    assert json.loads(png.with_suffix('.json').read_text())['rows'] == ['unseen']

def test_verdict_check_names_damaged_records(tmp_path):
    "`msgm verdict NAME --check` names each damaged record and a stale summary (exit 2); the runner re-runs the damaged runs."
    common = ['--preset', 'tiny', '--seeds', '1', '--out', str(tmp_path), '--no-progress']
    assert run('verdict', 'toy', *common).returncode == 0
    r = run('verdict', 'toy', '--check', *common)
    assert r.returncode == 0 and 'every record verifies' in r.stdout, r.stderr[-2000:]
    recs = sorted((tmp_path / 'toy').glob('*.json'))
    recs[0].write_text(recs[0].read_text()[:50])                                     # truncated
    recs[1].write_text(json.dumps(dict(json.loads(recs[2].read_text()), hash=recs[1].stem)))   # another run's content
    r = run('verdict', 'toy', '--check', *common)
    assert r.returncode == 2 and '--check: 3 finding(s)' in r.stderr, (r.stdout, r.stderr)
    assert f'record {recs[0]} cannot be read' in r.stdout and f"record {recs[1]}: its fields and seed hash to" in r.stdout
    assert 'toy_summary.json is not what its records rebuild' in r.stdout
    r = run('verdict', 'toy', '--list', *common)
    assert r.returncode == 0 and '1 done, 2 missing' in r.stdout
    r = run('verdict', 'toy', *common)                                               # the runner agrees, and re-runs them
    assert r.returncode == 0 and '2 run(s) done now, 1 had records, 0 left' in r.stdout, r.stdout
    assert run('verdict', 'toy', '--check', *common).returncode == 0
    r = run('verdict', '--check', '--out', str(tmp_path / 'none'))                     # no NAME: every study (none has records here)
    assert r.returncode == 2 and 'summary.json is missing' in r.stdout

def test_converge_with_no_time_left_still_writes_its_files(tmp_path):
    "`--deadline 0` starts no run; the convergence file and its figure still go to an --out that did not exist."
    r = run('converge', 'toy', '--preset', 'tiny', '--deadline', '0', '--out', str(tmp_path / 'cd'), '--no-progress')
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / 'cd' / 'converge-toy.json').exists() and (tmp_path / 'cd' / 'converge-toy.png').exists()
