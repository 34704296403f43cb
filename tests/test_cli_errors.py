"""The error contract of the `msgm` command line, each case a real process: exit status 2, one line on stderr naming the argument or file
and what is wrong with it, no traceback, and nothing written (no file or folder appears)."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
MSGM = [sys.executable, '-c', 'import sys; from msgm_nb.cli import main; sys.exit(main())']
ENV = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS='1', MPLBACKEND='Agg')

def run(args, cwd, env=None, **kw):
    return subprocess.run(MSGM + [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env or ENV, **kw)

def tree(d: Path) -> set: return {str(p.relative_to(d)) for p in d.rglob('*')}

TINY = ['--preset', 'tiny', '--dataset', 'digits', '--no-progress']

def setup_files(d: Path):
    "The inputs the cases refer to: bad config files, a file where a folder belongs, a cache with a broken config file."
    (d / 'list.json').write_text('[1, 2]'); (d / 'trunc.json').write_text('{"dataset": "digits", "steps": ')
    (d / 'cfgdir').mkdir(); (d / 'afile').write_text('x')
    (d / 'steps_abc.json').write_text(json.dumps(dict(dataset='digits', preset='tiny', steps='abc')))
    (d / 'steps_float.json').write_text(json.dumps(dict(dataset='digits', preset='tiny', steps=2.7)))
    (d / 'stepz.json').write_text(json.dumps(dict(dataset='digits', stepz=3)))
    (d / 'lr_nan.json').write_text('{"dataset": "digits", "preset": "tiny", "lr": NaN}')
    (d / 'badcache').mkdir(); (d / 'badcache' / 'image_config.json').write_text('{"dataset": "dig')
    bad = dict(ch_mult_empty=dict(ch_mult=[]), ch_mult_0=dict(ch_mult=[0]), ch_mult_neg=dict(ch_mult=[-1]), forget_12=dict(forget=[12]),
               forget_all=dict(forget=list(range(10))), steps_0=dict(steps=0), seed_huge=dict(seed=10**23), size_16=dict(image_size=16))
    for name, f in bad.items():
        (d / f'{name}.json').write_text(json.dumps(dict(dataset='digits', preset='tiny', **f)))

# (name, argv, what stderr must contain)
CASES = [
    ('nll model not in cache', ['nll', '--cache', 'DOES_NOT_EXIST', '--method', 'unseen', '--out', 'o', *TINY],
     ['no trained unseen', 'DOES_NOT_EXIST', 'it holds: nothing', '--train-missing']),
    ('sample model not in cache', ['sample', '--cache', 'DOES_NOT_EXIST', '--method', 'obtuse', '--out', 'o', *TINY], ['no trained obtuse', '--train-missing']),
    ('eval models not in cache', ['eval', '--cache', 'c', '--methods', 'standard', 'unseen', '--out', 'o', *TINY], ['no trained standard, unseen']),
    ('unknown method', ['nll', '--method', 'magic', '--out', 'o', *TINY], ['--method', "unknown method 'magic'", 'orthogonal']),
    ('unknown --methods', ['eval', '--methods', 'magic', '--out', 'o', *TINY], ["unknown method 'magic'"]),
    ('missing --config', ['train', '--config', 'nope.json', '--out', 'o'], ['--config', 'nope.json: no such file']),
    ('config is a list', ['train', '--config', 'list.json', '--out', 'o'], ['--config', 'list.json', 'JSON object', 'got a JSON list']),
    ('config is a folder', ['train', '--config', 'cfgdir', '--out', 'o'], ['--config', 'cfgdir is a directory']),
    ('truncated config', ['train', '--config', 'trunc.json', '--out', 'o'], ['--config', 'trunc.json is not valid JSON', 'line 1 column']),
    ('config steps "abc"', ['train', '--config', 'steps_abc.json', '--cache', 'c', '--out', 'o'], ['steps_abc.json', "'steps' must be an integer", "'abc'"]),
    ('config steps 2.7', ['train', '--config', 'steps_float.json', '--cache', 'c', '--out', 'o'], ["'steps' must be an integer", '2.7']),
    ('config lr NaN', ['train', '--config', 'lr_nan.json', '--cache', 'c', '--out', 'o'], ["'lr' must be finite"]),
    ('unknown --dataset', ['train', '--dataset', 'svhn', '--out', 'o'], ["unknown dataset 'svhn'", 'digits']),
    ('unknown config field', ['train', '--config', 'stepz.json', '--out', 'o'], ['stepz.json', "unknown config field(s) ['stepz']", "'steps'"]),
    ('--device gpu9', ['train', '--device', 'gpu9', '--out', 'o', *TINY], ['--device', "'gpu9' is not a device", 'cpu, cuda, cuda:N']),
    ('--device cuda:7', ['train', '--device', 'cuda:7', '--cache', 'c', '--out', 'o', *TINY], ['--device cuda:7']),
    ('--n 0', ['sample', '--method', 'standard', '--n', '0', '--out', 'o', *TINY], ['--n', 'must be an integer >= 1, got 0']),
    ('--n abc', ['sample', '--method', 'standard', '--n', 'abc', '--out', 'o', *TINY], ['--n', "'abc' is not an integer"]),
    ('--seed -1', ['toy', '--seed', '-1', '--out', 'o'], ['--seed', '>= 0']),
    ('--out is a file', ['toy', '--preset', 'tiny', '--out', 'afile'], ['--out', 'afile exists and is not a directory']),
    ('--out under a file', ['nll', '--method', 'unseen', '--out', 'afile/sub', *TINY], ['--out', 'afile/sub cannot be created', 'is a file']),
    ('--cache is a file', ['nll', '--method', 'unseen', '--cache', 'afile', '--out', 'o', *TINY], ['--cache', 'afile exists and is not a directory']),
    ('--preset bogus', ['toy', '--preset', 'huge', '--out', 'o'], ['--preset', "invalid choice: 'huge'", "'tiny', 'fast', 'full'"]),
    ('--fast and --preset', ['toy', '--fast', '--preset', 'tiny', '--out', 'o'], ['--fast contradicts --preset tiny']),
    ('unreadable cache config', ['nll', '--method', 'unseen', '--cache', 'badcache', '--out', 'o', *TINY], ['badcache/image_config.json is unreadable']),
    ('leaderboard --parts', ['leaderboard', '--preset', 'tiny', '--parts', 'cifar', '--out', 'o'], ['--parts: unknown cifar']),
    ('leaderboard --workers 0', ['leaderboard', '--preset', 'tiny', '--workers', '0', '--out', 'o'], ['--workers', '>= 1']),
    ('unknown command', ['fly'], ["invalid choice: 'fly'", 'toy']),
    ('config ch_mult []', ['train', '--config', 'ch_mult_empty.json', '--cache', 'c', '--out', 'o'], ["'ch_mult' must list channel multipliers >= 1, got []"]),
    ('config ch_mult [0]', ['train', '--config', 'ch_mult_0.json', '--cache', 'c', '--out', 'o'], ["'ch_mult' must list channel multipliers >= 1, got [0]"]),
    ('config ch_mult [-1]', ['train', '--config', 'ch_mult_neg.json', '--cache', 'c', '--out', 'o'], ["got [-1]"]),
    ('config forget label absent', ['train', '--config', 'forget_12.json', '--cache', 'c', '--out', 'o'], ['forget label(s) [12] not present']),
    ('config forgets every class', ['train', '--config', 'forget_all.json', '--cache', 'c', '--out', 'o'], ['the retain set is empty']),
    ('config steps 0', ['train', '--config', 'steps_0.json', '--cache', 'c', '--out', 'o'], ["'steps' must be > 0, got 0"]),
    ('config seed beyond 64 bits', ['train', '--config', 'seed_huge.json', '--cache', 'c', '--out', 'o'], ["'seed' must be below 2**63"]),
    ('config image_size on digits', ['train', '--config', 'size_16.json', '--cache', 'c', '--out', 'o'], ["'image_size' applies to stl10, celeba only"]),
    ('--out name too long', ['toy', '--preset', 'tiny', '--out', 'a' * 300], ['--out', '(300 characters) is not usable: File name too long']),
    ('--config name too long', ['train', '--config', 'c' * 300 + '.json', '--out', 'o'], ['--config', 'cannot be checked: File name too long']),
    ('malformed method alpha', ['eval', '--methods', 'orthogonal_a1.2.3', '--out', 'o', *TINY], ["unknown method 'orthogonal_a1.2.3'"]),
    ('method alpha > 1', ['eval', '--methods', 'obtuse_a1.5', '--out', 'o', *TINY], ["method 'obtuse_a1.5': alpha must lie in [0, 1]"]),
    ('method k0', ['eval', '--methods', 'orthogonal_k0', '--out', 'o', *TINY], ["method 'orthogonal_k0'", 'must be >= 1, got 0']),
    ('leaderboard --methods empty', ['leaderboard', '--preset', 'tiny', '--methods', '', '--out', 'o'], ['--methods: an empty name']),
    ('leaderboard --methods unknown', ['leaderboard', '--preset', 'tiny', '--methods', 'rg,salun', '--out', 'o'], ['--methods: unknown salun']),
    ('verdict no NAME', ['verdict', '--list', '--out', 'o'], ['NAME: give a study or a set of studies', 'toy']),
    ('run --check with no NAME', ['run', '--check'], ['NAME: give a study or a set of studies']),
]

@pytest.fixture(scope='module')
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp('cli_errors'); setup_files(d); return d

@pytest.fixture(scope='module')
def outcomes(tmp_path_factory):
    "Every case run once, four processes at a time, each in its own copy of the input files: `{name: (process, files before, files after)}`."
    from concurrent.futures import ThreadPoolExecutor
    def one(case):
        name, argv, _ = case
        d = tmp_path_factory.mktemp('case'); setup_files(d); before = tree(d)
        return name, (run(argv, d), before, tree(d))
    with ThreadPoolExecutor(4) as ex: return dict(ex.map(one, CASES))

@pytest.mark.parametrize('name,argv,needles', CASES, ids=[c[0] for c in CASES])
def test_bad_input_fails_cleanly(outcomes, name, argv, needles):
    r, before, after = outcomes[name]
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert len(lines) == 1 and 'Traceback' not in r.stderr, r.stderr[-2000:]
    for s in needles: assert s in lines[0], (s, lines[0])
    assert after == before, f"{name} wrote {after - before}"

def test_config_left_by_a_failed_run_is_replaced(tmp_path):
    "A cache whose config file differs but that holds no model (its run trained nothing) neither blocks the next run nor is reused silently."
    (tmp_path / 'c').mkdir(); (tmp_path / 'c' / 'image_config.json').write_text(json.dumps(dict(dataset='digits', steps=999)))
    (tmp_path / 'cfg.json').write_text(json.dumps(dict(dataset='digits', preset='tiny', steps=2, methods=['unseen'])))
    r = run(['train', '--config', 'cfg.json', '--cache', 'c', '--out', 'o', '--no-progress'], tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'was written by a run that trained nothing' in r.stdout and json.loads((tmp_path / 'c' / 'image_config.json').read_text())['steps'] == 2

def test_debug_shows_the_traceback(work):
    r = run(['nll', '--cache', 'DOES_NOT_EXIST', '--method', 'unseen', '--out', 'o', *TINY], work, env=dict(ENV, MSGM_DEBUG='1'))
    assert r.returncode != 0 and 'Traceback' in r.stderr and 'UsageError: no trained unseen' in r.stderr

def test_ctrl_c_is_one_line_and_exit_130(tmp_path):
    # the child gets Ctrl-C's default action even where the test runner ignores SIGINT (a background job of a shell without job control)
    p = subprocess.Popen(MSGM + ['toy', '--preset', 'tiny', '--out', 'o', '--no-progress'], cwd=tmp_path, env=ENV,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(6); p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130, (p.returncode, err[-2000:])
    assert err.strip().splitlines() == ['msgm toy: interrupted; outputs written so far are complete files, the results file comes last']
    assert not (tmp_path / 'o' / 'results.json').exists()

def test_sigterm_ends_like_ctrl_c_with_exit_143(tmp_path):
    "SIGTERM (a scheduler's or `timeout`'s stop): one line, complete files only, exit 143."
    p = subprocess.Popen(MSGM + ['toy', '--preset', 'tiny', '--out', 'o', '--no-progress'], cwd=tmp_path, env=ENV,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(6); p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 143, (p.returncode, err[-2000:])
    assert err.strip().splitlines() == ['msgm toy: terminated; outputs written so far are complete files, the results file comes last']
    assert not (tmp_path / 'o' / 'results.json').exists()
    assert not list((tmp_path / 'o').rglob('*.tmp')) if (tmp_path / 'o').exists() else True

def test_two_trainings_of_one_cache_do_not_both_train(tmp_path):
    "A second `msgm train` on a cache whose model is being trained exits 2 at once, naming the lock; the first goes on."
    (tmp_path / 'c.json').write_text(json.dumps(dict(dataset='digits', preset='tiny', steps=3000, methods=['unseen'])))
    argv = MSGM + ['train', '--config', 'c.json', '--cache', 'c', '--no-progress', '--out']
    first = subprocess.Popen(argv + ['o1'], cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(120):                       # until the first holds the lock and trains
            if (tmp_path / 'c' / 'unseen' / '.training.lock').exists():
                break
            time.sleep(0.5)
        time.sleep(1)
        r = run(['train', '--config', 'c.json', '--cache', 'c', '--no-progress', '--out', 'o2'], tmp_path)
        assert r.returncode == 2 and 'another process is training unseen in c (lock c/unseen/.training.lock)' in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and first.poll() is None and not (tmp_path / 'o2').exists()
    finally:
        first.kill(); first.communicate()

def test_cifar_pickle_payload_never_runs(tmp_path):
    "Batch files whose unpickling would create a marker file: refused by the md5 check, and (verify off) by the restricted unpickler."
    import pickle
    from msgm_nb.datasets import write_tiny_dataset
    marker = tmp_path / 'PWNED'
    class Payload:
        def __reduce__(self): return (os.system, (f'touch {marker}',))
    d = write_tiny_dataset('cifar10', tmp_path / 'data', n=4)
    for f in ['data_batch_1', 'test_batch']: (d / f).write_bytes(pickle.dumps({'data': Payload(), 'labels': [0]}))
    (tmp_path / 'cfg.json').write_text(json.dumps(dict(dataset='cifar10', preset='tiny', root=str(tmp_path / 'data'))))
    (tmp_path / 'cfg_noverify.json').write_text(json.dumps(dict(dataset='cifar10', preset='tiny', root=str(tmp_path / 'data'), verify=False)))
    for cfg, needle in (('cfg.json', "fail torchvision's md5 check"), ('cfg_noverify.json', 'refusing posix.system')):
        r = run(['train', '--config', cfg, '--cache', 'c', '--out', 'o', '--no-progress'], tmp_path)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and needle in r.stderr, r.stderr[-2000:]
        assert 'data_batch_1' in r.stderr or 'test_batch' in r.stderr
        assert not marker.exists() and not (tmp_path / 'c').exists() and not (tmp_path / 'o').exists()
    # the same files, unpickled the ordinary way, would have run the payload: the test's payload is real
    pickle.loads((d / 'test_batch').read_bytes()); assert marker.exists()
