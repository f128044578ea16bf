"""LSGAN objectives as CycleGAN's `GANLoss('lsgan')` uses them: MSE against targets of 1
(real) and 0 (fake), expanded to the whole patch map; and CycleGAN's generator objective,
which AttentionGAN's scheme II takes over."""

from keras import ops

from ugatit_tf.losses.functions import l1, mse


def lsgan_generator_loss(fake_logits):
    """The generator's adversarial term: `MSE(D(G(x)), 1)`."""
    return mse(fake_logits, 1.0)


def lsgan_discriminator_terms(real_logits, fake_logits):
    """`(MSE(D(real), 1), MSE(D(fake), 0))`, the two halves of the D loss."""
    return mse(real_logits, 1.0), mse(fake_logits, 0.0)


def lsgan_discriminator_loss(real_logits, fake_logits):
    """`0.5 (MSE(D(real), 1) + MSE(D(fake), 0))`: halved, "which slows down the rate at
    which D learns relative to G" (Zhu et al. 2017, section 4; `backward_D_basic`)."""
    real, fake = lsgan_discriminator_terms(real_logits, fake_logits)
    return 0.5 * (real + fake)


# `cycle_generator_objective`'s terms, under CycleGAN's loss names without `loss_`.
CYCLE_GENERATOR_TERMS = ("G_A", "G_B", "cycle_A", "cycle_B", "idt_A", "idt_B")


def cycle_generator_objective(g_a, g_b, d_a, d_b, real_a, real_b, cycle_a, cycle_b,
                              identity):
    """CycleGAN's `forward()` and `backward_G` (D_A judges domain B): LSGAN, cycle and
    identity terms, the products in the official order (`l1 * lambda_B * lambda_idt`).

    Args:
        g_a, g_b: functions from images to images (A -> B, B -> A).
        cycle_a, cycle_b: lambda_A and lambda_B; identity: lambda_identity (0: no
            identity calls, zero terms).

    Returns:
        `(total, terms, fake_a, fake_b)`, `terms` under `CYCLE_GENERATOR_TERMS`.
    """
    fake_b = g_a(real_a)
    rec_a = g_b(fake_b)
    fake_a = g_b(real_b)
    rec_b = g_a(fake_a)
    terms = {}
    if identity > 0:
        terms["idt_A"] = l1(g_a(real_b), real_b) * cycle_b * identity
        terms["idt_B"] = l1(g_b(real_a), real_a) * cycle_a * identity
    else:
        terms["idt_A"] = terms["idt_B"] = ops.zeros((), fake_b.dtype)
    terms["G_A"] = lsgan_generator_loss(d_a(fake_b))
    terms["G_B"] = lsgan_generator_loss(d_b(fake_a))
    terms["cycle_A"] = l1(rec_a, real_a) * cycle_a
    terms["cycle_B"] = l1(rec_b, real_b) * cycle_b
    t = terms
    total = t["G_A"] + t["G_B"] + t["cycle_A"] + t["cycle_B"] + t["idt_A"] + t["idt_B"]
    return total, {k: terms[k] for k in CYCLE_GENERATOR_TERMS}, fake_a, fake_b
