"End to end at tiny size: the CIFAR-10 class-forgetting protocol's runner on CIFAR-format files written here."
import json
from msgm_nb.datasets import write_tiny_dataset
from msgm_nb.registry import study
from msgm_nb.verdict import write_record, read_record, record_path


def test_cifar_protocol_runs_on_cifar_format_files(tmp_path):
    write_tiny_dataset('cifar10', tmp_path / 'data', n=40)
    exp = study('conditional-cifar10')
    specs = exp.specs('tiny', 1)
    assert [s.row for s in specs][:2] == ['standard', 'unseen'] and specs[0].fields['sde'] == 'ddpm'
    for s in specs:
        spec = dict(s.to_dict(), hash=s.hash, device='cpu', work=str(tmp_path / 'work'), root=str(tmp_path / 'data'), verify=False)
        write_record(tmp_path / 'records', s, exp.runner(spec), 1.0, '2-core CPU')
        m = read_record(record_path(tmp_path / 'records', s))['metrics']
        assert 0 <= m['ua'] <= 1 and 0 <= m['ra'] <= 1 and m['fid_labelled'] >= 0 and 0 <= m['ur'] <= 1, m
    # the Standard model is trained once and reused by every post-hoc row; each unlearned model is kept under its hash
    assert len(list((tmp_path / 'work' / 'conditional-cifar10' / 'models').iterdir())) == 2  # Standard and Unseen
    assert all((tmp_path / 'work' / 'conditional-cifar10' / s.hash).is_dir() for s in specs[2:])
