"""LSGAN pieces against their definitions (GANLoss('lsgan'), backward_D_basic)."""

import numpy as np

from ugatit_tf.losses import gan

RNG = np.random.default_rng(0)
REAL = RNG.standard_normal((2, 6, 6, 1))
FAKE = RNG.standard_normal((2, 6, 6, 1))


def test_generator_loss_is_mse_to_one():
    np.testing.assert_allclose(float(gan.lsgan_generator_loss(FAKE)),
                               np.mean((FAKE - 1.0) ** 2), rtol=1e-14)


def test_discriminator_loss_is_halved():
    real, fake = gan.lsgan_discriminator_terms(REAL, FAKE)
    np.testing.assert_allclose(float(real), np.mean((REAL - 1.0) ** 2), rtol=1e-14)
    np.testing.assert_allclose(float(fake), np.mean(FAKE ** 2), rtol=1e-14)
    np.testing.assert_allclose(float(gan.lsgan_discriminator_loss(REAL, FAKE)),
                               0.5 * (float(real) + float(fake)), rtol=1e-14)
