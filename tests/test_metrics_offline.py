"""msgm_nb.metrics never reaches the network: missing weights (CLIP, Inception) fail with a clear error while every socket is blocked,
and the offline metrics run on the imported module for each supported image size."""
import socket
import pytest
import torch
from msgm_nb import metrics as M
from msgm_nb.classifier import SmallCNN


@pytest.fixture
def no_network(monkeypatch, tmp_path):
    def refuse(*a, **k): raise AssertionError("msgm_nb.metrics tried to open a network connection")
    monkeypatch.setattr(socket.socket, 'connect', refuse)
    monkeypatch.setattr(socket, 'create_connection', refuse)
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    monkeypatch.setenv('HF_HOME', str(tmp_path / 'hf'))
    return tmp_path


@pytest.mark.parametrize('tag', ['laion2b_s34b_b79k', 'openai'])
def test_clip_weights_missing_no_download(no_network, tag):
    with pytest.raises(FileNotFoundError, match='missing from the local cache'):
        M.ClipZeroShot(['cat', 'dog'], model_name='ViT-B-32', pretrained=tag, cache_dir=str(no_network / 'clip'))


def test_inception_weights_missing_no_download(no_network):
    x = torch.rand(4, 1, 8, 8) * 2 - 1
    with pytest.raises(FileNotFoundError, match='weights are missing'):
        M.inception_fid(x, x)


@pytest.mark.parametrize('size,ch', [(8, 1), (28, 1), (32, 3)])
def test_offline_metrics_each_size(size, ch):
    torch.manual_seed(0)
    net = SmallCNN(ch, 10, size, width=8).eval()
    x = torch.rand(12, ch, size, size) * 2 - 1
    y = (x + 0.1 * torch.randn_like(x)).clamp(-1, 1)
    assert abs(M.fid(x, x, net)) < 1e-2 and M.fid(x, y, net) >= 0
    assert 0 <= M.unlearning_ratio(y, net, [0, 1]) <= 1
    assert M.psnr(x, x) == float('inf') and abs(M.ssim(x, x) - 1) < 1e-6
    for d in [M.ssim_distance, M.feature_distance(net)]:
        r = M.retention(lambda z: z, lambda z: z, x, d)
        assert abs(r['mean']) < 1e-5 and r['unchanged'] == 1.0
