"""The trainer's fused step (six generator calls once per iteration) against the
reference objectives run as PT's loop runs them."""

import numpy as np
import pytest
import tensorflow as tf
from golden import Golden, golden_files
from test_trainer import tiny_config

from ugatit_tf import losses
from ugatit_tf.tasks.ugatit import UGATITTask
from ugatit_tf.trainer import Trainer

FILES = golden_files()


def _gradients(tape, loss, variables):
    return [g.numpy() for g in tape.gradient(loss, variables)]


def reference_losses(nets, real_a, real_b):
    """D objective, then G objective, each with its own generator calls (PT's loop)."""
    d_vars = [v for n in nets.discriminators for v in n.trainable_variables]
    g_vars = [v for n in nets.generators for v in n.trainable_variables]
    with tf.GradientTape() as tape:
        d_total, d_terms = losses.discriminator_objective(nets, real_a, real_b)
    d_grads = _gradients(tape, d_total, d_vars)
    with tf.GradientTape() as tape:
        g_total, g_terms = losses.generator_objective(nets, real_a, real_b)
    g_grads = _gradients(tape, g_total, g_vars)
    return d_total, d_terms, d_grads, g_total, g_terms, g_grads


def fused_losses(nets, real_a, real_b, batched=False, batched_discriminators=False):
    """Generator calls once under the G tape; the D objective on their fakes in between."""
    d_vars = [v for n in nets.discriminators for v in n.trainable_variables]
    g_vars = [v for n in nets.generators for v in n.trainable_variables]
    with tf.GradientTape() as gen_tape:
        translations = losses.generator_translations(nets, real_a, real_b, batched)
        with gen_tape.stop_recording():
            with tf.GradientTape() as tape:
                d_total, d_terms = losses.discriminator_objective_on_fakes(
                    nets, real_a, real_b, translations["b2a"][0], translations["a2b"][0],
                    batched=batched_discriminators)
            d_grads = _gradients(tape, d_total, d_vars)
        g_total, g_terms = losses.generator_objective_on_translations(
            nets, real_a, real_b, translations)
    g_grads = _gradients(gen_tape, g_total, g_vars)
    return d_total, d_terms, d_grads, g_total, g_terms, g_grads


def assert_same(reference, fused):
    (d_ref, d_terms_ref, d_grads_ref, g_ref, g_terms_ref, g_grads_ref) = reference
    (d_fused, d_terms_fused, d_grads_fused, g_fused, g_terms_fused, g_grads_fused) = fused
    np.testing.assert_array_equal(float(d_fused), float(d_ref))
    np.testing.assert_array_equal(float(g_fused), float(g_ref))
    assert d_terms_fused.keys() == d_terms_ref.keys()
    assert g_terms_fused.keys() == g_terms_ref.keys()
    for k in d_terms_ref:
        np.testing.assert_array_equal(float(d_terms_fused[k]), float(d_terms_ref[k]), k)
    for k in g_terms_ref:
        np.testing.assert_array_equal(float(g_terms_fused[k]), float(g_terms_ref[k]), k)
    for a, b in zip(d_grads_fused + g_grads_fused, d_grads_ref + g_grads_ref, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_fused_losses_equal_reference_on_golden_files(path):
    golden = Golden(path)
    reference = reference_losses(golden.build_networks(), golden.real_a, golden.real_b)
    fused = fused_losses(golden.build_networks(), golden.real_a, golden.real_b)
    assert_same(reference, fused)
    # And both are PT's numbers.
    np.testing.assert_allclose(float(fused[0]), float(golden.data["dloss/total"]), rtol=1e-4)
    np.testing.assert_allclose(float(fused[3]), float(golden.data["gloss/total"]), rtol=1e-4)


def reference_step(trainer, real_a, real_b):
    """The trainer's step as PT's loop writes it, from the reference objectives."""
    nets, weights = trainer.task.nets, trainer.task.loss_weights
    with tf.GradientTape() as tape:
        d_total, _ = losses.discriminator_objective(nets, real_a, real_b, weights)
    trainer.disc_optimizer.apply(tape.gradient(d_total, trainer.disc_variables),
                                 trainer.disc_variables)
    with tf.GradientTape() as tape:
        g_total, _ = losses.generator_objective(nets, real_a, real_b, weights)
    trainer.gen_optimizer.apply(tape.gradient(g_total, trainer.gen_variables),
                                trainer.gen_variables)
    return d_total, g_total


@pytest.mark.parametrize("batched,batched_discriminators,light",
                         [(False, False, True), (True, False, True), (False, True, True),
                          (True, False, False)],
                         ids=["unbatched", "batched", "batched_discriminators", "full"])
def test_trainer_step_equals_reference_step(tmp_path, monkeypatch, batched,
                                            batched_discriminators, light):
    """Light unbatched: bitwise equal. Batched translations (the default), batched
    discriminator calls and full (whose MLP kernel gradient is one stacked product):
    float rounding."""
    monkeypatch.setattr(UGATITTask, "batch_translations", batched)
    monkeypatch.setattr(UGATITTask, "batch_discriminator_calls", batched_discriminators)
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    config = tiny_config()
    config.model.light = light
    fused = Trainer(config, str(tmp_path / "f"), strategy)
    reference = Trainer(config, str(tmp_path / "r"), strategy)
    assert fused.task.stack_mlp_gradients == (not light)
    exact = light and not batched and not batched_discriminators
    check = (np.testing.assert_array_equal if exact else
             lambda a, b, msg="": np.testing.assert_allclose(a, b, rtol=1e-5, err_msg=msg))
    rng = np.random.default_rng(0)
    for _ in range(2):  # the second step runs with updated weights and Adam moments
        real_a, real_b = (tf.constant(rng.uniform(-1, 1, (2, 32, 32, 3)), tf.float32)
                          for _ in range(2))
        metrics = strategy.run(fused._replica_step, args=(real_a, real_b))
        d_total, g_total = strategy.run(reference_step, args=(reference, real_a, real_b))
        check(float(metrics["D_loss"]), float(d_total))
        check(float(metrics["G_loss"]), float(g_total))
    for (_, a), (_, b) in zip(fused.nets.items(), reference.nets.items(), strict=True):
        for v, w in zip(a.variables, b.variables, strict=True):
            if not exact:  # Adam turns rounding-level gradient changes into steps <= lr
                np.testing.assert_allclose(v.numpy(), w.numpy(), atol=3e-4, err_msg=v.path)
            else:
                np.testing.assert_array_equal(v.numpy(), w.numpy(), v.path)


LIGHT_FILES = [p for p in FILES if "light" in p.stem]


@pytest.mark.parametrize("path", LIGHT_FILES, ids=[p.stem for p in LIGHT_FILES])
def test_batched_translations_match_golden(path):
    """Each generator's translation and identity calls as one batch of two (light
    models: the full model's decoder gradients are differences of nearly equal sums,
    which any change of summation order moves by ~1% away from PT's float32 numbers,
    so the trainer does not batch them)."""
    golden = Golden(path)
    reference = reference_losses(golden.build_networks(), golden.real_a, golden.real_b)
    batched = fused_losses(golden.build_networks(), golden.real_a, golden.real_b,
                           batched=True)
    np.testing.assert_allclose(float(batched[0]), float(golden.data["dloss/total"]), rtol=1e-4)
    np.testing.assert_allclose(float(batched[3]), float(golden.data["gloss/total"]), rtol=1e-4)
    for name, value in golden.loss_terms("gloss").items():
        np.testing.assert_allclose(float(batched[4][name]), value, rtol=1e-4, err_msg=name)
    for a, b in zip(batched[2] + batched[5], reference[2] + reference[5], strict=True):
        assert np.max(np.abs(a - b)) <= 1e-3 * np.max(np.abs(b))


def discriminator_update(nets, real_a, real_b, fakes, batched):
    """The D objective's terms and gradients on given fakes, and the u states after."""
    d_vars = [v for n in nets.discriminators for v in n.trainable_variables]
    with tf.GradientTape() as tape:
        total, terms = losses.discriminator_objective_on_fakes(
            nets, real_a, real_b, *fakes, batched=batched)
    states = [v.numpy() for n in nets.discriminators for v in n.non_trainable_variables]
    return [float(total), *(float(t) for t in terms.values())], _gradients(
        tape, total, d_vars), states


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_batched_discriminator_calls_are_the_same_function(path):
    """Float64: each discriminator's real and fake calls as one call with two
    power-iteration rounds give PT's two calls' terms, gradients and u, v states to
    1e-12 of each array's scale (only summation orders differ; float64 rounding of
    these sums is ~1e-15 relative)."""
    golden = Golden(path)
    inputs = golden.inputs("float64")
    results = []
    for batched in (False, True):
        nets = golden.build_networks(dtype="float64")
        fakes = (nets.gen_b2a(inputs["B"])[0], nets.gen_a2b(inputs["A"])[0])
        results.append(discriminator_update(nets, inputs["A"], inputs["B"], fakes, batched))
    (terms, grads, states), (terms_b, grads_b, states_b) = results
    np.testing.assert_allclose(terms_b, terms, rtol=1e-12)
    assert len(grads) == len(grads_b) and len(states) == len(states_b) > 0
    for a, b in zip(grads_b + states_b, grads + states, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12 * np.max(np.abs(b)))
