"""BatchNorm (PyTorch's rule) and PixelShuffle (PyTorch's channel order) against torch."""

import numpy as np
import pytest
import torch
from testing import run_layer_checks

from ugatit_tf.layers.batch_norm import BatchNorm
from ugatit_tf.layers.pixel_shuffle import PixelShuffle


def features(shape=(2, 6, 5, 4), seed=0):
    return np.random.default_rng(seed).normal(0.5, 2.0, shape).astype(np.float32)


def test_batch_norm_shared_checks():
    run_layer_checks(lambda **kw: BatchNorm(**kw), features(), float32_statistics=True)


def test_pixel_shuffle_shared_checks():
    run_layer_checks(lambda **kw: PixelShuffle(2, **kw), features((2, 3, 5, 8)),
                     bf16_tolerance=0.01)


def test_batch_norm_matches_torch_in_both_modes():
    x = features().astype(np.float64)
    gamma = np.random.default_rng(1).normal(1, 0.1, 4)
    beta = np.random.default_rng(2).normal(0, 0.1, 4)
    layer = BatchNorm(dtype="float64")
    layer.build(x.shape)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    ref = torch.nn.BatchNorm2d(4).double()
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(gamma))
        ref.bias.copy_(torch.tensor(beta))
    nchw = torch.tensor(np.transpose(x, (0, 3, 1, 2)))
    for _ in range(3):  # three train-mode calls move the running statistics
        out = layer(x, training=True)
        want = ref.train()(nchw).detach().numpy()
        np.testing.assert_allclose(np.transpose(out, (0, 3, 1, 2)), want, rtol=0, atol=1e-12)
    # the running variance is updated with the unbiased batch variance, as in torch
    np.testing.assert_allclose(layer.moving_mean.numpy(), ref.running_mean.numpy(), atol=1e-14)
    np.testing.assert_allclose(layer.moving_variance.numpy(), ref.running_var.numpy(),
                               atol=1e-14)
    out = layer(x, training=False)
    want = ref.eval()(nchw).detach().numpy()
    np.testing.assert_allclose(np.transpose(out, (0, 3, 1, 2)), want, rtol=0, atol=1e-12)


def test_pixel_shuffle_matches_torch_order():
    x = features((2, 3, 5, 12))
    out = PixelShuffle(2)(x)
    want = torch.nn.PixelShuffle(2)(torch.tensor(np.transpose(x, (0, 3, 1, 2)))).numpy()
    np.testing.assert_array_equal(np.asarray(out), np.transpose(want, (0, 2, 3, 1)))


@pytest.mark.parametrize("kwargs, message", [
    ({"momentum": 0.0}, "momentum"), ({"momentum": 1.5}, "momentum"),
    ({"epsilon": 0.0}, "epsilon")])
def test_batch_norm_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BatchNorm(**kwargs)


def test_pixel_shuffle_rejects_bad_arguments():
    with pytest.raises(ValueError, match="upscale_factor"):
        PixelShuffle(0)
    with pytest.raises(ValueError, match="divisible by 4"):
        PixelShuffle(2)(features((1, 2, 2, 6)))
