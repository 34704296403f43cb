"""The image loaders of msgm_nb.datasets on tiny files written in the real on-disk formats (no downloads): IDX (MNIST), pickled batches
(CIFAR-10), the STL-10 binary, a CelebA folder. Checked against torchvision's own readers where torchvision accepts the files, and for the
offline failure message."""
import pickle, socket
import numpy as np
import pytest
import torch
from msgm_nb.datasets import (write_tiny_dataset, load_mnist, load_fashion_mnist, load_cifar10, load_stl10, load_celeba, DataNotFound,
                          from_model_range, to_model_range)

@pytest.fixture
def no_network(monkeypatch):
    def refuse(*a, **k): raise OSError('network disabled in tests')
    monkeypatch.setattr(socket.socket, 'connect', refuse)
    monkeypatch.setattr(socket, 'create_connection', refuse)

def test_mnist_idx_matches_torchvision(tmp_path):
    from torchvision.datasets import MNIST
    write_tiny_dataset('mnist', tmp_path, n=10)
    ds = load_mnist(tmp_path, 'train', download=False)
    tv = MNIST(str(tmp_path), train=True, download=False)
    assert torch.equal(from_model_range(ds.x)[:, 0], tv.data.long()) and torch.equal(ds.y, tv.targets)
    assert ds.forget == [3, 7] and ds.shape == (1, 28, 28)

def test_fashion_from_gz_folder(tmp_path):
    import gzip, shutil
    src = write_tiny_dataset('fashion_mnist', tmp_path / 'raw_src', n=8)
    sysdir = tmp_path / 'sys'; sysdir.mkdir()
    for f in src.iterdir():
        with open(f, 'rb') as a, gzip.open(sysdir / (f.name + '.gz'), 'wb') as b: shutil.copyfileobj(a, b)
    ds = load_fashion_mnist(tmp_path / 'root', 'test', system_dir=sysdir, download=False)
    assert len(ds) == 8 and ds.classes[1] == 'Trouser' and ds.forget == [1, 7]
    assert (tmp_path / 'root' / 'FashionMNIST' / 'raw' / 't10k-images-idx3-ubyte').exists()

def test_cifar10_pickles(tmp_path):
    d = write_tiny_dataset('cifar10', tmp_path, n=6)
    ds = load_cifar10(tmp_path, 'test', download=False, verify=False)
    with open(d / 'test_batch', 'rb') as f: e = pickle.load(f, encoding='latin1')
    ref = torch.from_numpy(e['data'].reshape(-1, 3, 32, 32)).long()
    assert torch.equal(from_model_range(ds.x), ref) and ds.y.tolist() == e['labels']
    assert [ds.classes[c] for c in ds.forget] == ['automobile', 'dog']
    assert len(load_cifar10(tmp_path, 'train', download=False, verify=False)) == 30
    with pytest.raises(ValueError, match='md5'): load_cifar10(tmp_path, download=False)   # torchvision's checksums reject tiny files

def test_stl10_binary_matches_torchvision_layout(tmp_path):
    d = write_tiny_dataset('stl10', tmp_path, n=5)
    ds = load_stl10(tmp_path, 'train', download=False, verify=False, image_size=None)
    raw = np.fromfile(d / 'train_X.bin', dtype=np.uint8).reshape(-1, 3, 96, 96)
    assert torch.equal(from_model_range(ds.x), torch.from_numpy(raw.transpose(0, 1, 3, 2).copy()).long())   # column-major on disk
    assert ds.y.tolist() == list(range(5)) and ds.classes[ds.forget[0]] == 'airplane'
    assert load_stl10(tmp_path, 'test', download=False, verify=False, image_size=32).shape == (3, 32, 32)

def test_celeba_folder(tmp_path):
    write_tiny_dataset('celeba', tmp_path, n=8)
    ds = load_celeba(tmp_path, 'all', download=False, verify=False, image_size=24)
    assert ds.shape == (3, 24, 24) and ds.y.tolist() == [1, 0, 0, 1, 0, 0, 1, 0] and ds.classes == ['no Bangs', 'Bangs']
    assert len(load_celeba(tmp_path, 'train', download=False, verify=False, image_size=24)) == 6
    with pytest.raises(ValueError, match='available'): load_celeba(tmp_path, 'all', attr='Beard', download=False, verify=False)

@pytest.mark.parametrize('loader,where', [(load_mnist, 'MNIST/raw'), (load_cifar10, 'cifar-10-batches-py'),
                                          (load_stl10, 'stl10_binary'), (load_celeba, 'list_attr_celeba.txt')])
def test_missing_files_offline_say_where(tmp_path, no_network, loader, where):
    with pytest.raises(DataNotFound, match=where) as e: loader(tmp_path, download=True)
    assert 'internet' in str(e.value)

def test_scaling_roundtrip():
    k = torch.randint(0, 256, (4, 3, 5, 5))
    assert torch.equal(from_model_range(to_model_range(k)), k)
    assert to_model_range(k).min() >= -1 and to_model_range(k).max() <= 1
