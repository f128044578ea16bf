"""`paired_discriminator_call`: a pair of discriminators as one computation is the two
calls (outputs, gradients, power-iteration states), in eager, graph and XLA modes."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from ugatit_tf.models import UGATITDiscriminator
from ugatit_tf.models.ugatit.paired import paired_discriminator_call

# float64 rounding of these sums is ~1e-15 relative (the measured worst is 2e-15); only
# summation orders differ between the two computations.
RTOL = 1e-12


def discriminator(num_layers, use_cam, seed, dtype="float64", name="disc", size=32):
    """A discriminator whose u, v come from three training calls: at the initial random
    u, v, sigma = u^T W v is near 0 and W / sigma amplifies rounding (~1e-9)."""
    keras.utils.set_random_seed(seed)
    disc = UGATITDiscriminator(4, num_layers, use_cam=use_cam, dtype=dtype, name=name)
    disc.build((None, size, size, 3))
    warm = tf.constant(np.random.default_rng(seed).uniform(-1, 1, (1, size, size, 3)),
                       "float64" if dtype == "float64" else "float32")
    for _ in range(3):
        disc(warm, training=True)
    return disc


def pair(num_layers, use_cam, dtype="float64", size=32, swap=False):
    seeds = (2, 1) if swap else (1, 2)
    return tuple(discriminator(num_layers, use_cam, s, dtype, n, size)
                 for s, n in zip(seeds, ("disc_a", "disc_b"), strict=True))


def inputs(size, dtype="float64", batch=2):
    rng = np.random.default_rng(7)
    return tuple(tf.constant(rng.uniform(-1, 1, (batch, size, size, 3)), dtype)
                 for _ in range(2))


def objective(outputs_a, outputs_b):
    """A loss in which every output element counts, differently per network."""
    terms = [tf.reduce_sum(tf.sin(t)) for t in outputs_a if t is not None]
    terms += [2.0 * tf.reduce_sum(tf.cos(t)) for t in outputs_b if t is not None]
    return tf.add_n(terms)


def run(discs, images, paired, training, batch_groups):
    """Outputs, the gradients of `objective` w.r.t. both inputs and every trainable
    variable of both networks, and the networks' states after the call."""
    disc_a, disc_b = discs
    x_a, x_b = images
    kwargs = {"training": training, "batch_groups": batch_groups}
    with tf.GradientTape() as tape:
        tape.watch([x_a, x_b])
        if paired:
            out_a, out_b = paired_discriminator_call(disc_a, disc_b, x_a, x_b, **kwargs)
        else:
            out_a, out_b = disc_a(x_a, **kwargs), disc_b(x_b, **kwargs)
        loss = objective(out_a, out_b)
    variables = disc_a.trainable_variables + disc_b.trainable_variables
    grads = tape.gradient(loss, [x_a, x_b] + variables)
    states = [v.numpy() for v in disc_a.non_trainable_variables + disc_b.non_trainable_variables]
    return [out_a, out_b], [g.numpy() for g in grads], states


def assert_close(actual, expected, what):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, what
    np.testing.assert_allclose(actual, expected, rtol=0,
                               atol=RTOL * np.max(np.abs(expected)), err_msg=what)


def assert_same_results(paired, separate):
    (outs_p, grads_p, states_p), (outs_s, grads_s, states_s) = paired, separate
    for net, (out_p, out_s) in enumerate(zip(outs_p, outs_s, strict=True)):
        for name, p, s in zip(("logits", "cam_logit", "heatmap"), out_p, out_s, strict=True):
            assert (p is None) == (s is None), name
            if s is not None:
                assert p.dtype == s.dtype, name
                assert_close(p, s, f"network {net} {name}")
    assert len(grads_p) == len(grads_s) > 2 and len(states_p) == len(states_s) > 0
    for i, (p, s) in enumerate(zip(grads_p, grads_s, strict=True)):
        assert_close(p, s, f"gradient {i}")
    for i, (p, s) in enumerate(zip(states_p, states_s, strict=True)):
        assert_close(p, s, f"state {i}")


# The cases of the default run: each value of each axis (global / local, batch_groups
# 1 / 2, training / inference, with / without CAM) at least once; the other twelve
# combinations (3-6 s each) run with `-m slow`, to keep the default run within budget.
DEFAULT_CASES = {"global-2-train-cam", "local-2-train-no_cam", "local-1-infer-cam",
                 "local-1-train-cam"}


def _cases():
    """Every combination; those outside `DEFAULT_CASES` are slow-marked."""
    for (num_layers, size, kind), batch_groups, training, use_cam in itertools.product(
            [(7, 96, "global"), (5, 32, "local")], [1, 2], [True, False], [True, False]):
        ids = f"{kind}-{batch_groups}-{'train' if training else 'infer'}-" + (
            "cam" if use_cam else "no_cam")
        marks = () if ids in DEFAULT_CASES else pytest.mark.slow
        yield pytest.param(num_layers, size, batch_groups, training, use_cam, marks=marks,
                           id=ids)


@pytest.mark.parametrize("num_layers,size,batch_groups,training,use_cam", list(_cases()))
def test_paired_call_is_the_two_calls(num_layers, size, batch_groups, training, use_cam):
    images = inputs(size)
    separate = run(pair(num_layers, use_cam, size=size), images, False, training, batch_groups)
    paired = run(pair(num_layers, use_cam, size=size), images, True, training, batch_groups)
    assert_same_results(paired, separate)
    if training:  # the states moved: the comparison of states is not of initial values
        initial = [v.numpy() for d in pair(num_layers, use_cam, size=size)
                   for v in d.non_trainable_variables]
        assert max(np.max(np.abs(a - b)) for a, b in zip(paired[2], initial)) > 1e-6


def test_swapped_networks_are_not_the_two_calls():
    """The comparison sees which network's weights went where: the pair with its
    networks' weights swapped differs from the two calls."""
    images = inputs(32)
    separate = run(pair(5, True), images, False, True, 2)
    swapped = run(pair(5, True, swap=True), images, True, True, 2)
    with pytest.raises(AssertionError):
        assert_same_results(swapped, separate)


@pytest.mark.slow  # graph 7 s, XLA 15 s; the default run's trainer-step test
# (tests/test_losses_fused.py) runs the paired call traced
@pytest.mark.parametrize("jit_compile", [False, True], ids=["graph", "xla"])
def test_paired_call_in_graph_and_xla(jit_compile):
    """Traced (graph, and compiled by XLA): the same results as the eager two calls."""
    images = inputs(32)
    separate = run(pair(5, True), images, False, True, 2)
    discs = pair(5, True)

    @tf.function(jit_compile=jit_compile)
    def step(x_a, x_b):
        with tf.GradientTape() as tape:
            tape.watch([x_a, x_b])
            out_a, out_b = paired_discriminator_call(*discs, x_a, x_b, training=True,
                                                     batch_groups=2)
            loss = objective(out_a, out_b)
        variables = discs[0].trainable_variables + discs[1].trainable_variables
        return [out_a, out_b], tape.gradient(loss, [x_a, x_b] + variables)

    outs, grads = step(*images)
    states = [v.numpy() for d in discs for v in d.non_trainable_variables]
    assert_same_results((outs, [g.numpy() for g in grads], states), separate)


@pytest.mark.slow  # 4 s; the switch is off by default
def test_mixed_bfloat16_pair_matches_the_two_calls():
    """Under mixed_bfloat16 the outputs are float32 as the single calls' are, and close
    to them: bfloat16 keeps 8 bits (relative rounding 4e-3), and the two computations
    round different sums, so they agree to a few bfloat16 steps of the logits' scale."""
    images = inputs(32, "float32")
    separate = run(pair(5, True, dtype="mixed_bfloat16"), images, False, True, 2)
    paired = run(pair(5, True, dtype="mixed_bfloat16"), images, True, True, 2)
    for out_p, out_s in zip(paired[0], separate[0], strict=True):
        for p, s in zip(out_p, out_s, strict=True):
            assert p.dtype == s.dtype == tf.float32
            scale = float(np.max(np.abs(s)))
            assert float(np.max(np.abs(p - s))) <= 0.05 * scale


def test_unequal_pairs_are_refused():
    disc_a = discriminator(5, True, 1)
    x = inputs(32)[0]
    with pytest.raises(ValueError, match="equal configs"):
        paired_discriminator_call(disc_a, discriminator(4, True, 2), x, x)
    with pytest.raises(ValueError, match="equal configs"):
        paired_discriminator_call(disc_a, discriminator(5, False, 2), x, x)
    with pytest.raises(ValueError, match="one shape"):
        paired_discriminator_call(disc_a, discriminator(5, True, 2), x, x[:1])
