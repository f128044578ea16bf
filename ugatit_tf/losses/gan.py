"""LSGAN objectives as CycleGAN's `GANLoss('lsgan')` uses them: MSE against targets of 1
(real) and 0 (fake), expanded to the whole patch map."""

from ugatit_tf.losses.functions import mse


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
