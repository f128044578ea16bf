"""CycleGAN's layers: shared checks, PyTorch alignment, bad arguments."""

import numpy as np
import pytest
import torch
from testing import run_layer_checks

from ugatit_tf.convert import pytorch
from ugatit_tf.layers import CycleGANResnetBlock, LeakyReLU, TorchConvTranspose2D

RNG = np.random.default_rng(0)
FEATURES = RNG.standard_normal((2, 6, 8, 4)).astype(np.float32)


def test_resnet_block_shared_checks():
    run_layer_checks(lambda **kw: CycleGANResnetBlock(4, **kw), FEATURES)


def test_conv_transpose_shared_checks():
    run_layer_checks(lambda **kw: TorchConvTranspose2D(3, **kw), FEATURES)


def test_leaky_relu_shared_checks():
    # bf16: the slope and the product are rounded, each to 2^-9 relative.
    run_layer_checks(lambda **kw: LeakyReLU(0.2, **kw), FEATURES, bf16_tolerance=2.0 ** -7)


def test_resnet_block_layout_and_init():
    block = CycleGANResnetBlock(8)
    block.build((None, 16, 16, 8))
    shapes = sorted((v.path.split("/", 1)[1], tuple(v.shape)) for v in block.trainable_weights)
    assert shapes == [("conv1/bias", (8,)), ("conv1/kernel", (3, 3, 8, 8)),
                      ("conv2/bias", (8,)), ("conv2/kernel", (3, 3, 8, 8))]
    assert not np.any(block.conv1.bias.numpy())
    # 576 draws of N(0, 0.02): the sample std is within 15% of 0.02 (~3.6 sigma).
    assert abs(np.std(block.conv1.kernel.numpy()) - 0.02) < 0.003


def test_resnet_block_is_residual():
    block = CycleGANResnetBlock(4)
    block(FEATURES)
    block.conv2.kernel.assign(np.zeros(block.conv2.kernel.shape, np.float32))
    # IN of a constant map (the bias) is 0.
    np.testing.assert_allclose(np.asarray(block(FEATURES)), FEATURES, atol=1e-6)


@pytest.mark.parametrize("kernel_size, strides, padding, output_padding",
                         [(3, 2, 1, 1), (3, 2, 1, 0), (4, 2, 1, 0), (3, 1, 1, 0), (5, 3, 2, 2)])
def test_conv_transpose_matches_pytorch(kernel_size, strides, padding, output_padding):
    torch_layer = torch.nn.ConvTranspose2d(4, 3, kernel_size, strides, padding,
                                           output_padding).double()
    layer = TorchConvTranspose2D(3, kernel_size, strides, padding, output_padding,
                                 dtype="float64")
    layer.build((None, None, None, 4))
    layer.conv.kernel.assign(pytorch.conv_kernel(torch_layer.weight.detach().numpy()))
    layer.conv.bias.assign(torch_layer.bias.detach().numpy())
    x = RNG.standard_normal((2, 4, 5, 7))
    expected = torch_layer(torch.from_numpy(x)).detach().numpy().transpose(0, 2, 3, 1)
    out = np.asarray(layer(x.transpose(0, 2, 3, 1)))
    assert out.shape == expected.shape == tuple(layer.compute_output_shape((2, 5, 7, 4)))
    # float64 round-off of sums of at most 4 * 25 products of O(1) terms
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)


def test_leaky_relu_is_exact_in_float64():
    x = RNG.standard_normal((3, 5))
    out = np.asarray(LeakyReLU(0.2, dtype="float64")(x))
    np.testing.assert_array_equal(out, np.where(x > 0, x, x * 0.2))


@pytest.mark.parametrize("make, message", [
    (lambda: CycleGANResnetBlock(0), "filters must be an int >= 1, got 0"),
    (lambda: TorchConvTranspose2D(3, output_padding=2), "output_padding must be at most"),
    (lambda: TorchConvTranspose2D(3, 3, padding=2, output_padding=0), "crops the whole"),
    (lambda: TorchConvTranspose2D(3, strides=0), "strides must be an int >= 1, got 0"),
    (lambda: LeakyReLU(-0.1), r"negative_slope must be in \[0, 1\), got -0.1"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()
