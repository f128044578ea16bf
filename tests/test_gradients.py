"""`stacked_dense_gradients` against the tape's own gradients, and its XLA form."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf
from golden import Golden, golden_files

from ugatit_tf import losses
from ugatit_tf.gradients import (
    _kernel_gradient,
    outer_product_kernel_gradients,
    stacked_dense_gradients,
)
from ugatit_tf.optimizers import TorchAdam

FULL_FILES = [p for p in golden_files() if "full" in p.stem]


def _chain(dense, other, x):
    """Three calls of `dense`, each on the previous call's transformed output."""
    calls, h = [], x
    for _ in range(3):
        y = dense(h)
        calls.append((h, y))
        h = other(tf.tanh(y))
    return calls, tf.reduce_sum(h**2)


@pytest.mark.parametrize("max_rows", [0, 16], ids=["matmul", "outer_products"])
def test_kernel_used_three_times_in_a_chain(max_rows):
    keras.utils.set_random_seed(0)
    dense = keras.layers.Dense(6, use_bias=False)
    other = keras.layers.Dense(6)
    x = tf.random.normal((2, 6))
    with tf.GradientTape(persistent=True) as tape:
        calls, loss = _chain(dense, other, x)  # each call's input depends on the previous
    variables = [other.kernel, dense.kernel, other.bias]
    expected = tape.gradient(loss, variables)
    with outer_product_kernel_gradients(max_rows):
        got = stacked_dense_gradients(tape, loss, variables, [(dense.kernel, calls)])
        # The check can fail: dropping a call changes the kernel gradient.
        short = stacked_dense_gradients(tape, loss, variables, [(dense.kernel, calls[:2])])
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-5, atol=1e-6)
    assert not np.allclose(short[1].numpy(), expected[1].numpy(), rtol=1e-3)


@pytest.mark.parametrize("rows,max_rows,matmul", [(6, 0, True), (6, 5, True), (6, 6, False)])
def test_outer_products_only_up_to_the_switchs_rows(rows, max_rows, matmul):
    x, dy = tf.random.normal((rows, 5)), tf.random.normal((rows, 3))
    with outer_product_kernel_gradients(max_rows):
        traced = tf.function(_kernel_gradient).get_concrete_function(x, dy)
    op_types = {op.type for op in traced.graph.get_operations()}
    assert ("MatMul" in op_types) is matmul
    np.testing.assert_allclose(traced(x, dy).numpy(), tf.matmul(x, dy, transpose_a=True).numpy(),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="max_rows"):
        outer_product_kernel_gradients(-1)


def _kernel_buffers_of_xla_update(max_rows):
    """The optimized XLA program of a step that updates a kernel used three times (TF's
    CPU compiler): how many copies of the kernel and kernel-sized dots it has."""
    keras.utils.set_random_seed(0)
    first, dense, other = (keras.layers.Dense(n, use_bias=False) for n in (64, 48, 64))
    x = tf.random.normal((1, 8))
    for layer, fan_in in ((first, 8), (dense, 64), (other, 48)):
        layer.build((None, fan_in))
    variables = [first.kernel, dense.kernel, other.kernel]
    optimizer = TorchAdam(1e-3, coupled_weight_decay=1e-4)
    optimizer.build(variables)

    def step(x):
        with tf.GradientTape() as tape:
            # the first call's input gradient (a read of the kernel) is first's gradient
            calls, loss = _chain(dense, other, first(x))
        with outer_product_kernel_gradients(max_rows):
            grads = stacked_dense_gradients(tape, loss, variables, [(dense.kernel, calls)])
        optimizer.apply(grads, variables)
        return loss

    hlo = tf.function(step, jit_compile=True).experimental_get_compiler_ir(x)(
        stage="optimized_hlo")
    kernel = r"f32\[64,48\]\{1,0\} "
    return (len(re.findall(kernel + r"copy\(", hlo)), len(re.findall(kernel + r"dot\(", hlo)))


def test_xla_updates_the_kernel_in_place_without_its_gradient():
    """With the switch the kernel gradient is fused into the update (no kernel-sized
    dot) and the update overwrites the kernel in place (no copy of it); without, XLA
    forms the gradient as a dot and copies the kernel, whose input-gradient reads
    are not ordered before the update."""
    assert _kernel_buffers_of_xla_update(0) == (1, 1)
    assert _kernel_buffers_of_xla_update(16) == (0, 0)


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
