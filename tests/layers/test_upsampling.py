"""UpsampleConv2D against PT's UpBlock2 head (upsample, reflection pad, 3x3 conv) in numpy."""

import numpy as np
import pytest
import tensorflow as tf
from testing import run_layer_checks

from ugatit_tf.layers import UpsampleConv2D

RNG = np.random.default_rng(0)
IMAGES = RNG.standard_normal((2, 3, 5, 4)).astype(np.float32)


def upsample_pad_conv(images, kernel):
    """The reference, op by op: nearest x2, reflection pad 1, valid 3x3 conv (float64)."""
    x = np.repeat(np.repeat(images.astype(np.float64), 2, axis=1), 2, axis=2)
    x = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect")
    n, h, w, _ = x.shape
    out = np.zeros((n, h - 2, w - 2, kernel.shape[-1]))
    for i in range(3):
        for j in range(3):
            out += x[:, i:i + h - 2, j:j + w - 2, :] @ kernel[i, j].astype(np.float64)
    return out


def test_shared_checks():
    run_layer_checks(lambda **kw: UpsampleConv2D(3, **kw), IMAGES)


@pytest.mark.parametrize("shape", [(2, 3, 5, 4), (1, 2, 2, 3), (1, 7, 4, 2)])
def test_equals_upsample_reflection_pad_and_conv(shape):
    images = RNG.standard_normal(shape).astype(np.float32)
    layer = UpsampleConv2D(6)
    out = np.asarray(layer(images))
    want = upsample_pad_conv(images, layer.kernel.numpy())
    assert out.shape == want.shape == (shape[0], 2 * shape[1], 2 * shape[2], 6)
    np.testing.assert_allclose(out, want, rtol=0, atol=1e-5 * np.max(np.abs(want)))


def test_gradients_equal_the_plain_layers():
    """Kernel and input gradients equal those of the op-by-op TF graph it replaces."""
    images = tf.constant(IMAGES)
    layer = UpsampleConv2D(6)
    layer(images)
    weights = RNG.standard_normal((2, 6, 10, 6)).astype(np.float32)

    def plain(x, kernel):
        x = tf.repeat(tf.repeat(x, 2, axis=1), 2, axis=2)
        x = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
        return tf.nn.conv2d(x, kernel, 1, "VALID")

    grads = []
    for fn in (lambda x: layer(x), lambda x: plain(x, layer.kernel)):
        with tf.GradientTape() as tape:
            tape.watch(images)
            loss = tf.reduce_sum(fn(images) * weights)
        grads.append(tape.gradient(loss, [images, layer.kernel]))
    for ours, want in zip(*grads):
        np.testing.assert_allclose(ours.numpy(), want.numpy(), rtol=0,
                                   atol=1e-5 * np.max(np.abs(want.numpy())))


def test_dynamic_height_and_width():
    layer = UpsampleConv2D(2)
    layer(IMAGES)
    fn = tf.function(layer, input_signature=[tf.TensorSpec((None, None, None, 4))])
    images = RNG.standard_normal((1, 4, 6, 4)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(fn(images)),
                               upsample_pad_conv(images, layer.kernel.numpy()), atol=1e-5)


def test_bad_filters():
    with pytest.raises(ValueError, match="filters must be a positive int"):
        UpsampleConv2D(0)


def test_kernel_initializer_is_used_and_kept_in_the_config():
    layer = UpsampleConv2D(2, kernel_initializer="ones")
    layer(IMAGES)
    np.testing.assert_array_equal(layer.kernel.numpy(), np.ones((3, 3, 4, 2)))
    clone = UpsampleConv2D.from_config(layer.get_config())
    clone(IMAGES)
    np.testing.assert_array_equal(clone.kernel.numpy(), np.ones((3, 3, 4, 2)))
