"""U-GAT-IT's losses and its two training objectives, as the official PyTorch loop has them.

The objectives return the total and every term under the official names
(`D_ad_loss_GA`, `G_cam_loss_A`, ...), so logs and tests line up with PT's numbers.
Losses are means over the local batch; a distributed trainer scales them by the
replica's share of the global batch.
"""

import dataclasses

from keras import ops


def mse(x, target):
    """Mean squared error against a constant target (LSGAN)."""
    return ops.mean(ops.square(x - target))


def l1(x, y):
    return ops.mean(ops.abs(x - y))


def bce_with_logits(logits, target):
    """Binary cross-entropy with logits against a constant 0 or 1 target (numerically
    stable form of `nn.BCEWithLogitsLoss`)."""
    return ops.mean(ops.maximum(logits, 0.0) - logits * target
                    + ops.log1p(ops.exp(-ops.abs(logits))))


@dataclasses.dataclass(frozen=True)
class LossWeights:
    """The official weights: adv 1, cycle 10, identity 10, CAM 1000."""

    adversarial: float = 1.0
    cycle: float = 10.0
    identity: float = 10.0
    cam: float = 1000.0


_SUFFIXES = ("GA", "LA", "GB", "LB")

# The names of the objectives' terms, in the order they are returned.
DISCRIMINATOR_TERMS = tuple(f"D_ad{kind}_loss_{s}" for s in _SUFFIXES for kind in ("", "_cam"))
GENERATOR_TERMS = (tuple(f"G_ad{kind}_loss_{s}" for s in _SUFFIXES for kind in ("", "_cam"))
                   + tuple(f"G_{kind}_loss_{d}" for kind in ("recon", "identity", "cam")
                           for d in "AB"))


def _discriminators(nets):
    """(suffix, discriminator, domain) in the official order."""
    discs = (nets.disc_global_a, nets.disc_local_a, nets.disc_global_b, nets.disc_local_b)
    return tuple(zip(_SUFFIXES, discs, "AABB"))


def discriminator_objective(nets, real_a, real_b, weights=LossWeights(), training=True):
    """The discriminators' loss on one batch, the fakes held constant.

    Returns:
        `(total, terms)`: the scalar loss and a dict of its official terms.
    """
    fake = {"A": ops.stop_gradient(nets.gen_b2a(real_b)[0]),
            "B": ops.stop_gradient(nets.gen_a2b(real_a)[0])}
    real = {"A": real_a, "B": real_b}
    terms = {}
    for suffix, disc, domain in _discriminators(nets):
        real_logit, real_cam, _ = disc(real[domain], training=training)
        fake_logit, fake_cam, _ = disc(fake[domain], training=training)
        terms[f"D_ad_loss_{suffix}"] = mse(real_logit, 1.0) + mse(fake_logit, 0.0)
        terms[f"D_ad_cam_loss_{suffix}"] = mse(real_cam, 1.0) + mse(fake_cam, 0.0)
    total = weights.adversarial * sum(terms.values())
    return total, terms


def generator_objective(nets, real_a, real_b, weights=LossWeights(), training=True):
    """The generators' loss on one batch (adversarial, cycle, identity, CAM).

    Returns:
        `(total, terms)`: the scalar loss and a dict of its official terms.
    """
    fake_a2b, cam_a2b, _ = nets.gen_a2b(real_a)
    fake_b2a, cam_b2a, _ = nets.gen_b2a(real_b)
    fake_a2b2a, _, _ = nets.gen_b2a(fake_a2b)
    fake_b2a2b, _, _ = nets.gen_a2b(fake_b2a)
    fake_a2a, cam_a2a, _ = nets.gen_b2a(real_a)
    fake_b2b, cam_b2b, _ = nets.gen_a2b(real_b)

    fake = {"A": fake_b2a, "B": fake_a2b}
    terms = {}
    for suffix, disc, domain in _discriminators(nets):
        fake_logit, fake_cam, _ = disc(fake[domain], training=training)
        terms[f"G_ad_loss_{suffix}"] = mse(fake_logit, 1.0)
        terms[f"G_ad_cam_loss_{suffix}"] = mse(fake_cam, 1.0)
    terms["G_recon_loss_A"] = l1(fake_a2b2a, real_a)
    terms["G_recon_loss_B"] = l1(fake_b2a2b, real_b)
    terms["G_identity_loss_A"] = l1(fake_a2a, real_a)
    terms["G_identity_loss_B"] = l1(fake_b2b, real_b)
    terms["G_cam_loss_A"] = bce_with_logits(cam_b2a, 1.0) + bce_with_logits(cam_a2a, 0.0)
    terms["G_cam_loss_B"] = bce_with_logits(cam_a2b, 1.0) + bce_with_logits(cam_b2b, 0.0)

    total = 0.0
    for domain in "AB":
        adversarial = sum(v for k, v in terms.items()
                          if k.startswith("G_ad") and k.endswith(domain))
        total += (weights.adversarial * adversarial
                  + weights.cycle * terms[f"G_recon_loss_{domain}"]
                  + weights.identity * terms[f"G_identity_loss_{domain}"]
                  + weights.cam * terms[f"G_cam_loss_{domain}"])
    return total, terms
