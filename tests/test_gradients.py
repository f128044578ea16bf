"""`stacked_dense_gradients` against the tape's own gradients."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from golden import Golden, golden_files

from ugatit_tf import losses
from ugatit_tf.gradients import stacked_dense_gradients

FULL_FILES = [p for p in golden_files() if "full" in p.stem]


def test_kernel_used_three_times_in_a_chain():
    keras.utils.set_random_seed(0)
    dense = keras.layers.Dense(6, use_bias=False)
    other = keras.layers.Dense(6)
    x = tf.random.normal((2, 6))
    with tf.GradientTape(persistent=True) as tape:
        calls, h = [], x
        for _ in range(3):  # each call's input depends on the previous call
            y = dense(h)
            calls.append((h, y))
            h = other(tf.tanh(y))
        loss = tf.reduce_sum(h**2)
    variables = [other.kernel, dense.kernel, other.bias]
    expected = tape.gradient(loss, variables)
    got = stacked_dense_gradients(tape, loss, variables, [(dense.kernel, calls)])
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-5, atol=1e-6)
    # The check can fail: dropping a call changes the kernel gradient.
    short = stacked_dense_gradients(tape, loss, variables, [(dense.kernel, calls[:2])])
    assert not np.allclose(short[1].numpy(), expected[1].numpy(), rtol=1e-3)


@pytest.mark.parametrize("path", FULL_FILES, ids=[p.stem for p in FULL_FILES])
def test_full_generator_gradients_on_golden_file(path):
    """The trainer's way (full models) against the tape's: the other variables'
    gradients are the same tensors, the MLP kernels' agree to float rounding."""
    golden = Golden(path)
    nets = golden.build_networks()
    variables = [v for n in nets.generators for v in n.trainable_variables]
    with tf.GradientTape(persistent=True) as tape:
        translations = losses.generator_translations(nets, golden.real_a, golden.real_b,
                                                     mlp_io=True)
        total, _ = losses.generator_objective_on_translations(
            nets, golden.real_a, golden.real_b, translations)
    assert [len(calls) for _, calls in translations["mlp_io"]] == [3, 3]
    expected = tape.gradient(total, variables)
    got = stacked_dense_gradients(tape, total, variables, translations["mlp_io"])
    kernels = {id(kernel) for kernel, _ in translations["mlp_io"]}
    for v, e, g in zip(variables, expected, got, strict=True):
        if id(v) in kernels:
            scale = np.max(np.abs(e.numpy()))
            assert np.max(np.abs(g.numpy() - e.numpy())) <= 1e-6 * scale, v.path
        else:
            np.testing.assert_array_equal(g.numpy(), e.numpy(), v.path)
