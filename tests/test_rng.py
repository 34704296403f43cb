"""No library call changes the caller's random state: training, the toy and image pipelines, post-hoc unlearning and the classifier
all draw from their own seeded streams. Each call below runs between two snapshots of the torch, NumPy and Python generators."""
import random
import numpy as np
import pytest
import torch
from torch import nn

def _snapshot():
    return torch.get_rng_state().clone(), np.random.get_state()[1].copy(), random.getstate()

def _assert_unchanged(fn):
    torch.manual_seed(123); np.random.seed(123); random.seed(123)
    before = _snapshot()
    fn()
    after = _snapshot()
    assert torch.equal(before[0], after[0]), 'torch global state changed'
    assert np.array_equal(before[1], after[1]), 'NumPy global state changed'
    assert before[2] == after[2], 'Python random state changed'

@pytest.fixture(scope='module')
def toy():
    from msgm_nb.sde import VESDE
    from msgm_nb.mixtures import three_gaussians
    from msgm_nb.datasets import split_by_label
    gm, forget = three_gaussians()
    x, y = gm.sample(600, generator=torch.Generator().manual_seed(0))
    x_g, x_f = split_by_label(x, y, forget)
    return VESDE(sigma_max=10.), x_g, x_f

def _net():
    from msgm_nb.nets import ScoreMLP
    return ScoreMLP(dim=2, hidden=16, depth=1, embed_dim=8)

@pytest.mark.parametrize('mode', ['standard', 'msgm', 'erasediff_joint'])
def test_train(toy, mode):
    from msgm_nb.train import train, TrainConfig
    sde, x_g, x_f = toy
    net = _net()
    _assert_unchanged(lambda: train(net, sde, x_g, x_f, TrainConfig(mode=mode, steps=5, batch_g=16, batch_f=8, device='cpu', progress=False, seed=4)))

def test_train_same_seed_same_weights(toy):
    from msgm_nb.train import train, TrainConfig
    sde, x_g, x_f = toy
    init = _net().state_dict()
    def run(global_seed):
        torch.manual_seed(global_seed)   # the caller's state must not matter either
        m = _net(); m.load_state_dict(init)
        return train(m, sde, x_g, x_f, TrainConfig(steps=6, batch_g=16, batch_f=8, device='cpu', progress=False, seed=4)).model
    a, b = run(1), run(2)
    for p, q in zip(a.parameters(), b.parameters()): assert torch.equal(p, q)

def test_unlearn(toy):
    from msgm_nb.unlearn import unlearn
    sde, x_g, x_f = toy
    net = _net()
    for method in ('msgm-obtuse', 'rgd', 'erasediff'):
        _assert_unchanged(lambda: unlearn(net, sde, forget=x_f, retain=x_g, method=method, steps=3, batch_g=16, batch_f=8,
                                          progress=False, **({'subset': 32} if method == 'rgd' else {})))

def test_train_toy(toy):
    from msgm_nb.toy import ToyConfig, toy_data, toy_sde, train_toy
    cfg = ToyConfig.preset('tiny', steps=5)
    data, sde = toy_data(cfg), toy_sde(cfg)
    _assert_unchanged(lambda: train_toy('orthogonal', data, sde, cfg))

def test_classifier_and_image_models(tmp_path):
    from msgm_nb.images import ImageConfig
    from msgm_nb.cache import get_classifier, train_method
    cfg = ImageConfig.preset('digits', 'tiny', steps=3, clf_epochs=1)
    _assert_unchanged(lambda: get_classifier(cfg, cache_dir=tmp_path, progress=False))
    _assert_unchanged(lambda: train_method(cfg, 'unseen', cache_dir=tmp_path, device='cpu', progress=False))
