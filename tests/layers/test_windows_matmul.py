"""Convs as windows matmuls (`windows_matmul.convs_as_matmul`): the same function as the
convolutions, in values and gradients, from one conv to the generator and discriminator,
and no convolution op left where the switch covers the device."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from testing import run_layer_checks

from ugatit_tf.layers import WindowsConv2D, windows_matmul
from ugatit_tf.models import UGATITDiscriminator, UGATITGenerator

RNG = np.random.default_rng(0)
CONV_OPS = {"Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"}


def conv_and_gradients(inputs, kernel, strides):
    x, w = tf.constant(inputs), tf.Variable(kernel)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = windows_matmul.valid_conv(x, w, strides)
        loss = tf.reduce_sum(out * tf.cos(out))  # a non-uniform output gradient
    return [out.numpy(), *[g.numpy() for g in tape.gradient(loss, [x, w])]]


@pytest.mark.parametrize("kernel_size, strides, shape", [
    (3, 1, (2, 7, 6, 3)), (3, 2, (1, 9, 8, 2)), (4, 2, (2, 10, 11, 3)), (2, 1, (1, 5, 5, 4)),
    (1, 1, (2, 3, 4, 5)), (7, 1, (1, 9, 9, 2))])
def test_matmul_equals_the_convolution_with_gradients(kernel_size, strides, shape):
    inputs = RNG.standard_normal(shape)
    kernel = RNG.standard_normal((kernel_size, kernel_size, shape[-1], 3))
    expected = conv_and_gradients(inputs, kernel, strides)
    assert not windows_matmul.takes_matmul(tf.constant(inputs), kernel_size, strides, 3)
    with windows_matmul.convs_as_matmul("CPU"):
        assert windows_matmul.takes_matmul(tf.constant(inputs), kernel_size, strides, 3)
        actual = conv_and_gradients(inputs, kernel, strides)
    for name, a, e in zip(("output", "input gradient", "kernel gradient"), actual, expected):
        assert a.shape == e.shape, name
        np.testing.assert_allclose(a, e, rtol=0, atol=1e-12 * np.abs(e).max(), err_msg=name)


def test_switch_covers_only_its_device_types_and_sizes(monkeypatch):
    x = tf.zeros((1, 8, 8, 2))
    with windows_matmul.convs_as_matmul("GPU"):  # this machine's tensors are on the CPU
        assert not windows_matmul.takes_matmul(x, 3, 1, 8)
    with windows_matmul.convs_as_matmul("CPU", "GPU"):
        assert windows_matmul.takes_matmul(x, 3, 1, 8)  # 36 rows x 18 columns
        monkeypatch.setattr(windows_matmul, "MAX_WINDOW_ENTRIES_PER_IMAGE", 36 * 18 - 1)
        assert not windows_matmul.takes_matmul(x, 3, 1, 8)
        assert not windows_matmul.takes_matmul(keras.KerasTensor((1, None, 8, 2)), 3, 1, 8)


def test_max_filters_takes_only_convs_to_that_many_channels():
    x = tf.zeros((1, 8, 8, 8))
    with windows_matmul.convs_as_matmul("CPU", max_filters=1):
        assert windows_matmul.takes_matmul(x, 3, 1, 1)  # a logit map out
        assert not windows_matmul.takes_matmul(x, 3, 1, 2)
        assert not windows_matmul.takes_matmul(tf.zeros((1, 8, 8, 3)), 3, 1, 64)
    with windows_matmul.convs_as_matmul("GPU", max_filters=1):  # tensors on the CPU
        assert not windows_matmul.takes_matmul(x, 3, 1, 1)


def test_windows_conv2d_shared_checks():
    run_layer_checks(lambda **kw: WindowsConv2D(4, 3, strides=2, use_bias=False, **kw),
                     RNG.standard_normal((2, 9, 8, 3)).astype(np.float32))


@pytest.mark.parametrize("kwargs", [{"padding": "same"}, {"dilation_rate": 2},
                                    {"kernel_size": (3, 1)}, {"strides": (1, 2)},
                                    {"data_format": "channels_first"}])
def test_windows_conv2d_rejects_what_valid_conv_does_not_run(kwargs):
    args = {"filters": 2, "kernel_size": 3, **kwargs}
    with pytest.raises(ValueError, match="valid padding"):
        WindowsConv2D(**args)


def _ops(fn, *args):
    graph = tf.function(fn).get_concrete_function(*args).graph
    names = {op.type for op in graph.get_operations()}
    for function in graph._functions.values():  # the custom gradients' bodies
        names |= {op.type for op in function.graph.get_operations()}
    return names


def _networks():
    keras.utils.set_random_seed(1)
    generator = UGATITGenerator(4, 1, image_size=32, light=True, dtype="float64")
    discriminator = UGATITDiscriminator(4, num_layers=5, dtype="float64")
    images = tf.constant(RNG.uniform(-1, 1, (2, 32, 32, 3)))
    generator(images)
    discriminator(images)
    return generator, discriminator, images


def _training_call(generator, discriminator, images):
    """The generator's and discriminator's outputs and gradients in a D-update-like call
    (two batch groups: one power-iteration round each)."""
    weights = generator.trainable_weights + discriminator.trainable_weights
    with tf.GradientTape() as tape:
        fake, cam_logit, heatmap = generator(images)
        outputs = discriminator(tf.concat([images, fake], 0), training=True, batch_groups=2)
        values = [fake, cam_logit, heatmap, *outputs]
        loss = tf.add_n([tf.reduce_sum(v * tf.sin(v)) for v in values])
    return values, tape.gradient(loss, weights)


@pytest.mark.parametrize("max_filters", [None, 1])
def test_generator_and_discriminator_are_the_same_function(max_filters):
    generator, discriminator, images = _networks()
    states = [w.numpy() for w in discriminator.non_trainable_weights]  # sn_u, sn_v
    expected = _training_call(generator, discriminator, images)
    for w, value in zip(discriminator.non_trainable_weights, states):
        w.assign(value)
    with windows_matmul.convs_as_matmul("CPU", max_filters=max_filters):
        actual = _training_call(generator, discriminator, images)
    for kind, a_list, e_list in zip(("output", "gradient"), actual, expected):
        for i, (a, e) in enumerate(zip(a_list, e_list)):
            e = np.asarray(e)
            np.testing.assert_allclose(a, e, rtol=0, atol=1e-11 * max(np.abs(e).max(), 1e-3),
                                       err_msg=f"{kind} {i}")


def test_no_convolution_op_is_left_under_the_switch():
    """The point of the switch: a traced training call holds no convolution for XLA to
    hand to cuDNN (the 7x7 head at 32 px is far below the size limit)."""
    networks = _networks()
    assert CONV_OPS & _ops(lambda x: _training_call(*networks[:2], x), networks[2])
    with windows_matmul.convs_as_matmul("CPU"):
        traced = _ops(lambda x: _training_call(*networks[:2], x), networks[2])
    assert not CONV_OPS & traced, CONV_OPS & traced
    assert "MatMul" in traced or "BatchMatMulV2" in traced


def test_max_filters_one_takes_only_the_discriminator_head():
    """The discriminator's head (a conv to one channel) becomes a matmul; every other
    conv stays one (the generator's head to 3 channels too)."""
    generator, discriminator, images = _networks()

    def conv_count(*devices, max_filters=None):
        with windows_matmul.convs_as_matmul(*devices, max_filters=max_filters):
            graph = tf.function(lambda x: (generator(x), discriminator(x))
                                ).get_concrete_function(images).graph
        return sum(op.type == "Conv2D" for op in graph.get_operations())

    assert conv_count("CPU", max_filters=1) == conv_count() - 1 > 0
    assert conv_count("CPU", max_filters=3) == conv_count() - 2  # and the generator's head
