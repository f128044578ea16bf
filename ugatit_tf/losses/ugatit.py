"""U-GAT-IT's losses and its two training objectives, as the official PyTorch loop has them.

The objectives return the total and every term under the official names
(`D_ad_loss_GA`, `G_cam_loss_A`, ...), so logs and tests line up with PT's numbers.
Networks without CAM (the paper's ablations) have no CAM terms: `discriminator_terms`
and `generator_terms` give the names for a set of networks.
Losses are means over the local batch; a distributed trainer scales them by the
replica's share of the global batch.
"""

import dataclasses

from keras import ops

from ugatit_tf.losses.functions import bce_with_logits, l1, mse


@dataclasses.dataclass(frozen=True)
class LossWeights:
    """The official weights: adv 1, cycle 10, identity 10, CAM 1000."""

    adversarial: float = 1.0
    cycle: float = 10.0
    identity: float = 10.0
    cam: float = 1000.0


_SUFFIXES = ("GA", "LA", "GB", "LB")


def _discriminators(nets):
    """(suffix, discriminator, domain) in the official order."""
    discs = (nets.disc_global_a, nets.disc_local_a, nets.disc_global_b, nets.disc_local_b)
    return tuple(zip(_SUFFIXES, discs, "AABB"))


def _adversarial_terms(player, cams):
    """`{player}_ad_loss_{s}` and, where the discriminator has CAM, `{player}_ad_cam_loss_{s}`,
    per suffix in the official order; `cams` says which of the four have CAM."""
    return tuple(f"{player}_ad{kind}_loss_{s}" for s, cam in zip(_SUFFIXES, cams, strict=True)
                 for kind in (("", "_cam") if cam else ("",)))


def _generator_only_terms(cam_a, cam_b):
    """Cycle, identity and, for generators with CAM, the CAM terms. `G_cam_loss_A` is
    made of `gen_b2a`'s logits (its images of domain A), `G_cam_loss_B` of `gen_a2b`'s."""
    return (tuple(f"G_{kind}_loss_{d}" for kind in ("recon", "identity") for d in "AB")
            + tuple(f"G_cam_loss_{d}" for d, cam in (("A", cam_a), ("B", cam_b)) if cam))


def discriminator_terms(nets):
    """The names of `discriminator_objective`'s terms for `nets`, in the order returned."""
    return _adversarial_terms("D", [disc.use_cam for _, disc, _ in _discriminators(nets)])


def generator_terms(nets):
    """The names of `generator_objective`'s terms for `nets`, in the order returned."""
    return (_adversarial_terms("G", [disc.use_cam for _, disc, _ in _discriminators(nets)])
            + _generator_only_terms(nets.gen_b2a.use_cam, nets.gen_a2b.use_cam))


# The term names of the official model (every network with CAM), in the order returned.
DISCRIMINATOR_TERMS = _adversarial_terms("D", [True] * 4)
GENERATOR_TERMS = _adversarial_terms("G", [True] * 4) + _generator_only_terms(True, True)


def discriminator_objective(nets, real_a, real_b, weights=LossWeights(), training=True):
    """The discriminators' loss on one batch, the fakes held constant.

    Returns:
        `(total, terms)`: the scalar loss and a dict of its official terms.
    """
    fake_a = ops.stop_gradient(nets.gen_b2a(real_b)[0])
    fake_b = ops.stop_gradient(nets.gen_a2b(real_a)[0])
    return discriminator_objective_on_fakes(nets, real_a, real_b, fake_a, fake_b, weights,
                                            training)


def discriminator_objective_on_fakes(nets, real_a, real_b, fake_a, fake_b,
                                     weights=LossWeights(), training=True, batched=False):
    """`discriminator_objective` with the fakes given (`gen_b2a(real_b)` and
    `gen_a2b(real_a)`); they are held constant.

    `batched` makes each discriminator's calls on the real and the fake images one call
    on both (`batch_groups=2`: each half keeps its own power-iteration round and sigma,
    so it is the same function as PT's two calls); four calls instead of eight, and the
    convolutions' summation order changes by float rounding (tests/test_losses_fused.py).
    """
    fake = {"A": ops.stop_gradient(fake_a), "B": ops.stop_gradient(fake_b)}
    real = {"A": real_a, "B": real_b}
    if batched:
        n = ops.shape(real_a)[0]
        images = {d: ops.concatenate([real[d], ops.cast(fake[d], real[d].dtype)], axis=0)
                  for d in "AB"}
        outputs = _discriminator_outputs(nets, images, training=training, batch_groups=2)
        split = {s: (_split(logits, n), _split(cams, n))
                 for s, (logits, cams, _) in outputs.items()}
    else:
        real_outputs = _discriminator_outputs(nets, real, training=training)
        fake_outputs = _discriminator_outputs(nets, fake, training=training)
        split = {s: ((real_outputs[s][0], fake_outputs[s][0]),
                     (real_outputs[s][1], fake_outputs[s][1])) for s in real_outputs}
    terms = {}
    for suffix, disc, _ in _discriminators(nets):
        (real_logit, fake_logit), (real_cam, fake_cam) = split[suffix]
        terms[f"D_ad_loss_{suffix}"] = mse(real_logit, 1.0) + mse(fake_logit, 0.0)
        if disc.use_cam:
            terms[f"D_ad_cam_loss_{suffix}"] = mse(real_cam, 1.0) + mse(fake_cam, 0.0)
    total = weights.adversarial * sum(terms.values())
    return total, terms


def _discriminator_outputs(nets, images, **kwargs):
    """`{suffix: disc(images[domain], **kwargs)}` for the four discriminators."""
    return {s: disc(images[domain], **kwargs) for s, disc, domain in _discriminators(nets)}


def generator_objective(nets, real_a, real_b, weights=LossWeights(), training=True):
    """The generators' loss on one batch (adversarial, cycle, identity, CAM).

    Returns:
        `(total, terms)`: the scalar loss and a dict of its official terms.
    """
    translations = generator_translations(nets, real_a, real_b)
    return generator_objective_on_translations(nets, real_a, real_b, translations, weights,
                                               training)


def generator_translations(nets, real_a, real_b, batched=False, mlp_io=False):
    """The six generator calls of one iteration, in PT's order.

    Args:
        batched: make each generator's two calls on real images (translation and
            identity) one call on both batches concatenated: four calls instead of
            six. Instance and layer norms are per sample, so the images are the same
            function; the summation order of weight gradients and of oneDNN's
            convolutions changes, so results differ from the unbatched calls by
            float rounding (tests/test_losses_fused.py checks them against PT's
            numbers).
        mlp_io: also return, under `mlp_io`, `[(kernel, calls), ...]`: the kernel of
            each generator's first MLP Dense and the `(inputs, outputs)` of its every
            call (for `ugatit_tf.gradients.stacked_dense_gradients`).

    Returns:
        A dict of `(image, cam_logit)` pairs: `a2b`, `b2a` (the fakes), `a2b2a`, `b2a2b`
        (the cycles), `a2a`, `b2b` (the identities); `cam_logit` is None for a generator
        without CAM, and a generator without an MLP has no `mlp_io` entry.
    """
    generators = {"a2b": nets.gen_a2b, "b2a": nets.gen_b2a}
    calls = {"a2b": [], "b2a": []}

    def translate(direction, images):
        outputs = generators[direction](images, return_mlp_io=mlp_io)
        if mlp_io:
            calls[direction].append(outputs[3])
        return outputs[:3]

    if batched:
        n = ops.shape(real_a)[0]
        images_a2b, cams_a2b, _ = translate("a2b", ops.concatenate([real_a, real_b], axis=0))
        images_b2a, cams_b2a, _ = translate("b2a", ops.concatenate([real_b, real_a], axis=0))
        fake_a2b, fake_b2b = images_a2b[:n], images_a2b[n:]
        cam_a2b, cam_b2b = _split(cams_a2b, n)
        fake_b2a, fake_a2a = images_b2a[:n], images_b2a[n:]
        cam_b2a, cam_a2a = _split(cams_b2a, n)
        fake_a2b2a, cam_a2b2a, _ = translate("b2a", fake_a2b)
        fake_b2a2b, cam_b2a2b, _ = translate("a2b", fake_b2a)
    else:
        fake_a2b, cam_a2b, _ = translate("a2b", real_a)
        fake_b2a, cam_b2a, _ = translate("b2a", real_b)
        fake_a2b2a, cam_a2b2a, _ = translate("b2a", fake_a2b)
        fake_b2a2b, cam_b2a2b, _ = translate("a2b", fake_b2a)
        fake_a2a, cam_a2a, _ = translate("b2a", real_a)
        fake_b2b, cam_b2b, _ = translate("a2b", real_b)
    translations = {"a2b": (fake_a2b, cam_a2b), "b2a": (fake_b2a, cam_b2a),
                    "a2b2a": (fake_a2b2a, cam_a2b2a), "b2a2b": (fake_b2a2b, cam_b2a2b),
                    "a2a": (fake_a2a, cam_a2a), "b2b": (fake_b2b, cam_b2b)}
    if mlp_io:
        translations["mlp_io"] = [(generators[d].mlp[0].kernel, calls[d]) for d in calls
                                  if generators[d].mlp]
    return translations


def _split(batch, n):
    """`(batch[:n], batch[n:])`; `(None, None)` for None (a generator without CAM)."""
    return (None, None) if batch is None else (batch[:n], batch[n:])


def generator_objective_on_translations(nets, real_a, real_b, translations,
                                        weights=LossWeights(), training=True):
    """`generator_objective` with the generator calls already made
    (`generator_translations`): the discriminator calls on the fakes and the terms.

    A training step can translate once, use the fakes for the discriminator update,
    and then call this (under the same tape) with the updated discriminators: the
    same losses and gradients as PT's loop, with two generator forward passes fewer.
    """
    fake_a2b, cam_a2b = translations["a2b"]
    fake_b2a, cam_b2a = translations["b2a"]
    fake_a2b2a, _ = translations["a2b2a"]
    fake_b2a2b, _ = translations["b2a2b"]
    fake_a2a, cam_a2a = translations["a2a"]
    fake_b2b, cam_b2b = translations["b2b"]

    fake = {"A": fake_b2a, "B": fake_a2b}
    terms = {}
    outputs = _discriminator_outputs(nets, fake, training=training)
    for suffix, disc, _ in _discriminators(nets):
        fake_logit, fake_cam, _ = outputs[suffix]
        terms[f"G_ad_loss_{suffix}"] = mse(fake_logit, 1.0)
        if disc.use_cam:
            terms[f"G_ad_cam_loss_{suffix}"] = mse(fake_cam, 1.0)
    terms["G_recon_loss_A"] = l1(fake_a2b2a, real_a)
    terms["G_recon_loss_B"] = l1(fake_b2a2b, real_b)
    terms["G_identity_loss_A"] = l1(fake_a2a, real_a)
    terms["G_identity_loss_B"] = l1(fake_b2b, real_b)
    if cam_b2a is not None:  # gen_b2a has CAM
        terms["G_cam_loss_A"] = bce_with_logits(cam_b2a, 1.0) + bce_with_logits(cam_a2a, 0.0)
    if cam_a2b is not None:
        terms["G_cam_loss_B"] = bce_with_logits(cam_a2b, 1.0) + bce_with_logits(cam_b2b, 0.0)

    total = 0.0
    for domain in "AB":
        adversarial = sum(v for k, v in terms.items()
                          if k.startswith("G_ad") and k.endswith(domain))
        domain_total = (weights.adversarial * adversarial
                        + weights.cycle * terms[f"G_recon_loss_{domain}"]
                        + weights.identity * terms[f"G_identity_loss_{domain}"])
        if f"G_cam_loss_{domain}" in terms:
            domain_total = domain_total + weights.cam * terms[f"G_cam_loss_{domain}"]
        total += domain_total
    return total, terms
