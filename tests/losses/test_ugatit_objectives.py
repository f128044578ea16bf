"""U-GAT-IT's objectives with the paper's ablations: the term names per option, finite
gradients for every trainable variable, the fused entry points against the reference ones.

(The default model's numbers are checked against the official code in tests/test_golden.py,
tests/test_losses_fused.py and tests/test_gradients.py.)
"""

import itertools

import numpy as np
import pytest
import tensorflow as tf

from ugatit_tf import losses
from ugatit_tf.layers.normalization import DECODER_NORMS
from ugatit_tf.models import build_networks

SIZE = 32
# One change from the official model per option, as the paper's Table 1 has them, and all
# of them off at once.
OPTIONS = {
    "official": {},
    **{norm: dict(decoder_norm=norm) for norm in DECODER_NORMS if norm != "adalin"},
    "no_generator_cam": dict(generator_cam=False),
    "no_discriminator_cam": dict(discriminator_cam=False),
    "layer_no_cam": dict(decoder_norm="layer", generator_cam=False, discriminator_cam=False),
}


def networks(**options):
    return build_networks(4, 1, SIZE, light=True, disc_global_layers=4, disc_local_layers=3,
                          **options)


def batch(seed):
    rng = np.random.default_rng(seed)
    return tuple(rng.uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32) for _ in "AB")


def expected_terms(generator_cam=True, discriminator_cam=True):
    """The official names, in the official order, less the CAM terms of networks without."""
    d_terms, g_terms = [], []
    for suffix in ("GA", "LA", "GB", "LB"):
        d_terms.append(f"D_ad_loss_{suffix}")
        if discriminator_cam:
            d_terms.append(f"D_ad_cam_loss_{suffix}")
        g_terms.append(f"G_ad_loss_{suffix}")
        if discriminator_cam:
            g_terms.append(f"G_ad_cam_loss_{suffix}")
    g_terms += ["G_recon_loss_A", "G_recon_loss_B", "G_identity_loss_A", "G_identity_loss_B"]
    if generator_cam:
        g_terms += ["G_cam_loss_A", "G_cam_loss_B"]
    return d_terms, g_terms


def test_the_constants_are_the_default_models_names():
    d_terms, g_terms = expected_terms()
    assert list(losses.DISCRIMINATOR_TERMS) == d_terms
    assert list(losses.GENERATOR_TERMS) == g_terms
    nets = networks()
    assert losses.discriminator_terms(nets) == losses.DISCRIMINATOR_TERMS
    assert losses.generator_terms(nets) == losses.GENERATOR_TERMS


def assert_finite_gradients(tape, total, variables, what):
    grads = tape.gradient(total, variables)
    for v, g in zip(variables, grads, strict=True):
        assert g is not None, f"{what}: no gradient for {v.path}"
        assert np.all(np.isfinite(np.asarray(g))), f"{what}: non-finite gradient of {v.path}"


@pytest.mark.parametrize("name", list(OPTIONS))
def test_terms_and_a_loss_step_with_finite_gradients(name):
    options = OPTIONS[name]
    nets = networks(**options)
    real_a, real_b = batch(0)
    want_d, want_g = expected_terms(options.get("generator_cam", True),
                                    options.get("discriminator_cam", True))
    assert list(losses.discriminator_terms(nets)) == want_d
    assert list(losses.generator_terms(nets)) == want_g

    d_vars = [v for net in nets.discriminators for v in net.trainable_variables]
    with tf.GradientTape() as tape:
        d_total, d_terms = losses.discriminator_objective(nets, real_a, real_b)
    assert list(d_terms) == want_d  # in the order the names say
    np.testing.assert_allclose(float(d_total), sum(float(t) for t in d_terms.values()),
                               rtol=1e-6)  # adversarial weight 1: the sum, float32 rounding
    assert_finite_gradients(tape, d_total, d_vars, f"{name} D")

    g_vars = [v for net in nets.generators for v in net.trainable_variables]
    with tf.GradientTape() as tape:
        g_total, g_terms = losses.generator_objective(nets, real_a, real_b)
    assert list(g_terms) == want_g
    w = losses.LossWeights()
    weight = lambda k: (w.cam if k.startswith("G_cam") else w.cycle if "recon" in k
                        else w.identity if "identity" in k else w.adversarial)
    np.testing.assert_allclose(float(g_total),
                               sum(weight(k) * float(t) for k, t in g_terms.items()),
                               rtol=1e-6)  # float32 rounding of a sum of 8 to 14 terms
    assert_finite_gradients(tape, g_total, g_vars, f"{name} G")


@pytest.mark.parametrize("name", ["adain", "layer_no_cam"])
def test_fused_entry_points_agree_with_the_reference_objectives(name):
    """What the trainer calls (translations once, batched or not, D on given fakes, G on
    the translations) against the reference objectives, for networks with and without
    CAM and MLP."""
    nets = networks(**OPTIONS[name])
    real_a, real_b = batch(1)
    # Inference-mode D calls: a training call's power iteration would change the next's.
    _, d_want = losses.discriminator_objective(nets, real_a, real_b, training=False)
    _, g_want = losses.generator_objective(nets, real_a, real_b, training=False)
    has_mlp = nets.gen_a2b.mlp != []
    for batched in (False, True):
        translations = losses.generator_translations(nets, real_a, real_b, batched=batched,
                                                     mlp_io=True)
        assert len(translations["mlp_io"]) == (2 if has_mlp else 0)
        _, d_terms = losses.discriminator_objective_on_fakes(
            nets, real_a, real_b, translations["b2a"][0], translations["a2b"][0],
            training=False)
        _, g_terms = losses.generator_objective_on_translations(nets, real_a, real_b,
                                                                translations, training=False)
        for want, got in ((d_want, d_terms), (g_want, g_terms)):
            assert list(got) == list(want)
            for k in want:
                # Unbatched: the same calls, the same numbers. Batched: oneDNN may sum in
                # another order (tests/test_losses_fused.py); float32 rounding of terms ~1
                # is ~1e-7 (0 measured here), 1e-5 leaves room for its amplification.
                rtol = 1e-5 if batched else 0.0
                np.testing.assert_allclose(float(got[k]), float(want[k]), rtol=rtol,
                                           err_msg=f"{name} batched={batched} {k}")


@pytest.mark.slow
@pytest.mark.parametrize("decoder_norm, generator_cam, discriminator_cam",
                         list(itertools.product(DECODER_NORMS, (True, False), (True, False))))
def test_every_combination_has_finite_gradients(decoder_norm, generator_cam,
                                                discriminator_cam):
    nets = networks(decoder_norm=decoder_norm, generator_cam=generator_cam,
                    discriminator_cam=discriminator_cam)
    real_a, real_b = batch(2)
    for objective, trained, names in (
            (losses.discriminator_objective, nets.discriminators, losses.discriminator_terms),
            (losses.generator_objective, nets.generators, losses.generator_terms)):
        variables = [v for net in trained for v in net.trainable_variables]
        with tf.GradientTape() as tape:
            total, terms = objective(nets, real_a, real_b)
        assert tuple(terms) == names(nets)
        assert_finite_gradients(tape, total, variables, objective.__name__)
