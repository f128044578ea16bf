"""AttentionGAN's objectives, as the official training loops compute them.

Scheme I (`AttentionGAN-v1/train.py`): LSGAN, cycle, "pixel" (each translation against
its own input), the attention masks' total variation, and the curriculum weight `rate`
between the adversarial and the reconstruction groups. Scheme II
(`models/attention_gan_model.py`): CycleGAN's LSGAN + cycle + identity, the D loss halved.

Each objective makes the network calls in the official order (it matters for scheme I:
every train-mode BatchNorm call moves its running statistics) and returns the total,
the terms under the official names and the fakes its discriminator step needs.
"""

import dataclasses

from keras import ops

from ugatit_tf.losses.functions import l1
from ugatit_tf.losses.gan import (
    CYCLE_GENERATOR_TERMS,
    cycle_generator_objective,
    lsgan_discriminator_terms,
    lsgan_generator_loss,
)

SCHEME1_GENERATOR_TERMS = ("GAN_A2B", "GAN_B2A", "cycle_ABA", "cycle_BAB", "pix_A", "pix_B",
                           "reg_A", "reg_B", "identity_A", "identity_B", "rate")
SCHEME1_DISCRIMINATOR_TERMS = ("D_real_A", "D_fake_A", "D_real_B", "D_fake_B")
SCHEME2_GENERATOR_TERMS = CYCLE_GENERATOR_TERMS
SCHEME2_DISCRIMINATOR_TERMS = ("D_A", "D_B", "D_A_real", "D_A_fake", "D_B_real", "D_B_fake")


@dataclasses.dataclass(frozen=True)
class Scheme1Weights:
    """`train.py`'s defaults: lambda_cycle 10, lambda_pixel 1, lambda_identity 0,
    lambda_reg 1e-6; the curriculum: `starting_rate` 0.01 for the first
    `gan_curriculum` 10 epochs, then `default_rate` 0.5."""

    cycle: float = 10.0
    pixel: float = 1.0
    identity: float = 0.0
    reg: float = 1e-6
    starting_rate: float = 0.01
    default_rate: float = 0.5
    curriculum_epochs: int = 10


@dataclasses.dataclass(frozen=True)
class Scheme2Weights:
    """`AttentionGANModel`'s defaults: lambda_A = lambda_B = 10, lambda_identity 0.5."""

    cycle: float = 10.0
    identity: float = 0.5


def mask_total_variation(mask, channels=3):
    """`sum |mask[..., w] - mask[..., w+1]| + sum |mask[h] - mask[h+1]|` over the batch.

    The official loop sums over the mask repeated to 3 channels: `channels` times the
    one-channel sum.
    """
    dw = ops.sum(ops.abs(mask[:, :, :-1, :] - mask[:, :, 1:, :]))
    dh = ops.sum(ops.abs(mask[:, :-1, :, :] - mask[:, 1:, :, :]))
    return channels * (dw + dh)


def scheme1_generator_objective(g_a2b, g_b2a, d_a, d_b, real_a, real_b, rate,
                                weights=Scheme1Weights(), training=True):
    """The generators' loss of one scheme I iteration (D_A judges domain A).

    Args:
        rate: the curriculum weight (a scalar tensor or float).

    Returns:
        `(total, terms, (fake_a, fake_b))`; `terms["reg_A"] + terms["reg_B"]` are batch
        sums, the others batch means.
    """
    same_b, _, _ = g_a2b(real_b, training=training)
    same_a, _, _ = g_b2a(real_a, training=training)
    fake_b, mask_b, _ = g_a2b(real_a, training=training)
    recovered_a, _, _ = g_b2a(fake_b, training=training)
    pred_fake_b = d_b(fake_b, training=training)
    fake_a, mask_a, _ = g_b2a(real_b, training=training)
    recovered_b, _, _ = g_a2b(fake_a, training=training)
    pred_fake_a = d_a(fake_a, training=training)

    w = weights
    rate = ops.cast(rate, fake_a.dtype)
    terms = {
        "GAN_A2B": lsgan_generator_loss(pred_fake_b),
        "GAN_B2A": lsgan_generator_loss(pred_fake_a),
        "cycle_ABA": l1(recovered_a, real_a), "cycle_BAB": l1(recovered_b, real_b),
        "pix_A": l1(fake_b, real_a), "pix_B": l1(fake_a, real_b),
        "reg_A": w.reg * mask_total_variation(mask_a),
        "reg_B": w.reg * mask_total_variation(mask_b),
        "identity_A": w.identity * l1(same_a, real_a),
        "identity_B": w.identity * l1(same_b, real_b),
        "rate": rate,
    }
    t = terms
    total = (((t["GAN_A2B"] + t["GAN_B2A"]) * 0.5 + (t["reg_A"] + t["reg_B"])) * (1.0 - rate)
             + ((t["cycle_ABA"] + t["cycle_BAB"]) * w.cycle
                + (t["pix_B"] + t["pix_A"]) * w.pixel) * rate)
    return total, terms, (fake_a, fake_b)


def scheme1_discriminator_objective(d_a, d_b, real_a, real_b, fake_a, fake_b, training=True):
    """`0.25 (D_real_B + D_fake_B + D_real_A + D_fake_A)`, calls in the official order;
    the fakes (from the image pools) are held constant."""
    fake_a, fake_b = ops.stop_gradient(fake_a), ops.stop_gradient(fake_b)
    # The official order of the calls: D_A(real_A), D_A(fake_A), D_B(real_B), D_B(fake_B).
    real_logits_a = d_a(real_a, training=training)
    terms = dict(zip(("D_real_A", "D_fake_A"), lsgan_discriminator_terms(
        real_logits_a, d_a(fake_a, training=training))))
    real_logits_b = d_b(real_b, training=training)
    terms.update(zip(("D_real_B", "D_fake_B"), lsgan_discriminator_terms(
        real_logits_b, d_b(fake_b, training=training))))
    t = terms
    total = (t["D_real_B"] + t["D_fake_B"] + t["D_real_A"] + t["D_fake_A"]) * 0.25
    return total, terms


def scheme2_generator_objective(g_a, g_b, d_a, d_b, real_a, real_b,
                                weights=Scheme2Weights()):
    """The generators' loss of one scheme II iteration: CycleGAN's
    (`cycle_generator_objective`) on the composed outputs only, lambda_A = lambda_B.

    Returns:
        `(total, terms, (fake_a, fake_b))`.
    """
    total, terms, fake_a, fake_b = cycle_generator_objective(
        lambda x: g_a(x)[0], lambda x: g_b(x)[0], d_a, d_b, real_a, real_b,
        weights.cycle, weights.cycle, weights.identity)
    return total, terms, (fake_a, fake_b)


def scheme2_discriminator_objective(d_a, d_b, real_a, real_b, fake_a, fake_b):
    """`D_A + D_B`, each `0.5 (MSE(D(real), 1) + MSE(D(fake), 0))`; D_A sees real B and
    the pooled fake B. The fakes are held constant."""
    fake_a, fake_b = ops.stop_gradient(fake_a), ops.stop_gradient(fake_b)
    terms = dict(zip(("D_A_real", "D_A_fake"), lsgan_discriminator_terms(d_a(real_b),
                                                                          d_a(fake_b))))
    terms.update(zip(("D_B_real", "D_B_fake"), lsgan_discriminator_terms(d_b(real_a),
                                                                          d_b(fake_a))))
    # lsgan_discriminator_loss's 0.5 (real + fake), kept as the official terms
    terms["D_A"] = (terms["D_A_real"] + terms["D_A_fake"]) * 0.5
    terms["D_B"] = (terms["D_B_real"] + terms["D_B_fake"]) * 0.5
    return terms["D_A"] + terms["D_B"], {k: terms[k] for k in SCHEME2_DISCRIMINATOR_TERMS}
