"""CycleGAN (Zhu et al. 2017) as a task: junyanz's `CycleGANModel.optimize_parameters`.

One iteration, in the official order: the four generator calls of `forward()`; the G
step with both D frozen (identity, GAN and cycle terms); then the D step on the same,
pre-update fakes drawn through each domain's image pool, with the halved LSGAN loss.
Network names are the official ones: `G_A` (A -> B), `G_B` (B -> A), `D_A` (judges
domain B: real B against G_A(A)), `D_B` (judges domain A).
"""

import numpy as np
import tensorflow as tf

from ugatit_tf.directions import check_direction
from ugatit_tf.losses.gan import cycle_generator_objective, lsgan_discriminator_loss
from ugatit_tf.losses.image_pool import ImagePool
from ugatit_tf.models.building import output_dtype
from ugatit_tf.models.cyclegan import PatchGANDiscriminator, ResnetGenerator
from ugatit_tf.optimizers import TorchAdam
from ugatit_tf.schedules import ConstantThenLinearDecay
from ugatit_tf.tasks.base import TranslationTask

# The official `loss_names` order, each under its attribute name `loss_<name>`.
TERMS = tuple(f"loss_{n}" for n in
              ("D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B"))


class CycleGANTask(TranslationTask):
    """Two ResNet generators, two PatchGAN discriminators, LSGAN, cycle and identity
    losses, two image pools.

    Config (see configs/cyclegan/default.py): `model.base_filters` (ngf),
    `model.disc_base_filters` (ndf), `model.num_res_blocks`, `model.disc_layers`,
    `model.image_size`; `loss.cycle_a`, `loss.cycle_b` (lambda_A, lambda_B),
    `loss.identity` (lambda_identity, a fraction of the cycle weights), `loss.pool_size`;
    `train.learning_rate`, `train.beta_1`, `train.beta_2`, `train.constant_iterations`,
    `train.decay_iterations`, `train.seed`.
    """

    name = "cyclegan"

    def __init__(self, config, dtype=None):
        super().__init__(config, dtype)
        model, loss = config.model, config.loss
        size = model.image_size

        def generator(name):
            return ResnetGenerator(model.base_filters, model.num_res_blocks, dtype=dtype,
                                   name=name)

        def discriminator(name):
            return PatchGANDiscriminator(model.disc_base_filters, model.disc_layers,
                                         dtype=dtype, name=name)

        self.networks = {"G_A": generator("G_A"), "G_B": generator("G_B"),
                         "D_A": discriminator("D_A"), "D_B": discriminator("D_B")}
        for net in self.networks.values():
            net.build((None, size, size, 3))
        self.generators = {"a2b": self.networks["G_A"], "b2a": self.networks["G_B"]}
        fakes = output_dtype(self.networks["G_A"].compute_dtype)
        seed = config.train.seed
        # fake_A_pool feeds D_B, fake_B_pool feeds D_A, as in the official code.
        self.fake_a_pool = ImagePool(loss.pool_size, (size, size, 3), fakes, seed=seed,
                                     name="fake_A_pool")
        self.fake_b_pool = ImagePool(loss.pool_size, (size, size, 3), fakes, seed=seed + 1,
                                     name="fake_B_pool")

    @property
    def generator_names(self):
        return ("G_A", "G_B")

    @property
    def metric_names(self):
        return ("D_loss", "G_loss", *TERMS)

    def make_optimizers(self):
        """Adam(2e-4, (0.5, 0.999)) for `chain(G_A, G_B)` and for `chain(D_A, D_B)`, no
        weight decay, constant then linear decay (`ConstantThenLinearDecay`)."""
        train = self.config.train

        def adam():
            schedule = ConstantThenLinearDecay(train.learning_rate,
                                               train.constant_iterations,
                                               train.decay_iterations)
            return TorchAdam(schedule, beta_1=train.beta_1, beta_2=train.beta_2,
                             coupled_weight_decay=0.0)

        return {"generator": adam(), "discriminator": adam()}

    def generator_terms(self, real_a, real_b):
        """`forward()` and `backward_G`'s terms: `(G_loss, terms, fake_a, fake_b)`."""
        g_a, g_b = self.networks["G_A"], self.networks["G_B"]
        d_a, d_b = self.networks["D_A"], self.networks["D_B"]
        loss = self.config.loss
        total, terms, fake_a, fake_b = cycle_generator_objective(
            g_a, g_b, d_a, d_b, real_a, real_b, loss.cycle_a, loss.cycle_b, loss.identity)
        return total, {f"loss_{k}": v for k, v in terms.items()}, fake_a, fake_b

    def discriminator_terms(self, real_a, real_b, fake_a, fake_b):
        """`backward_D_A` and `backward_D_B` on the given (pooled) fakes, held constant:
        `(D_loss, terms)`."""
        d_a, d_b = self.networks["D_A"], self.networks["D_B"]
        terms = {
            "loss_D_A": lsgan_discriminator_loss(d_a(real_b), d_a(tf.stop_gradient(fake_b))),
            "loss_D_B": lsgan_discriminator_loss(d_b(real_a), d_b(tf.stop_gradient(fake_a))),
        }
        return terms["loss_D_A"] + terms["loss_D_B"], terms

    def train_step(self, real_a, real_b, optimizers, loss_scale=1.0):
        # The losses compare the reals with the generators' outputs, in their dtype.
        dtype = output_dtype(self.networks["G_A"].compute_dtype)
        real_a, real_b = tf.cast(real_a, dtype), tf.cast(real_b, dtype)
        g_opt, d_opt = optimizers["generator"], optimizers["discriminator"]
        g_vars = [v for n in self.generator_networks for v in n.trainable_variables]
        d_vars = [v for n in self.discriminator_networks for v in n.trainable_variables]

        with tf.GradientTape() as tape:
            g_total, g_terms, fake_a, fake_b = self.generator_terms(real_a, real_b)
            g_loss = g_opt.scale_loss(g_total * loss_scale)
        g_opt.apply(tape.gradient(g_loss, g_vars), g_vars)

        pooled_a = self.fake_a_pool.query(fake_a)
        pooled_b = self.fake_b_pool.query(fake_b)
        with tf.GradientTape() as tape:
            d_total, d_terms = self.discriminator_terms(real_a, real_b, pooled_a, pooled_b)
            d_loss = d_opt.scale_loss(d_total * loss_scale)
        d_opt.apply(tape.gradient(d_loss, d_vars), d_vars)

        terms = {**d_terms, **g_terms}
        return {"D_loss": d_total, "G_loss": g_total, **{k: terms[k] for k in TERMS}}

    def translate(self, direction, images):
        image = self.generators[check_direction(direction)](images)
        return {"image": tf.cast(image, tf.float32)}

    def sample_rows(self, direction, images):
        """The official visuals of one domain: real, translation, cycle, and the other
        generator's identity (`real_A, fake_B, rec_A, idt_B` for "a2b")."""
        forward = self.generators[check_direction(direction)]
        backward = self.generators["b2a" if direction == "a2b" else "a2b"]
        fake = forward(images)
        rows = [images, fake, backward(fake), backward(images)]
        return [np.clip((np.asarray(r, np.float32) + 1.0) / 2.0, 0.0, 1.0) for r in rows]

    def checkpoint_state(self):
        return {"fake_A_pool": self.fake_a_pool, "fake_B_pool": self.fake_b_pool}
