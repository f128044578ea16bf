"""AttentionGAN, schemes I and II, as a task of the shared trainer.

`config.model.scheme` picks the official code:
- 1: `AttentionGAN-v1` (IJCNN 2019). Networks `G_A2B`, `G_B2A`, `D_A` (judges domain A),
  `D_B`. One 4-channel generator (attention + content), BatchNorm by default; LSGAN,
  cycle, pixel and mask-TV terms with the curriculum weight r; Adam 1e-4 (0.5, 0.999).
- 2: `ResnetGenerator_our` (TNNLS 2021). Networks `G_A` (A -> B), `G_B`, `D_A` (judges
  domain **B**, as in CycleGAN), `D_B`. LSGAN with D halved, cycle 10, identity 0.5 x 10;
  Adam 2e-4 (0.5, 0.999).
Both: the G step, then the D step on the pre-update fakes through 50-image pools.

An epoch, for our iteration-based loop, is `config.train.epoch_iterations` iterations
(the official loop's `len(dataloader)`: max(|A|, |B|) / batch). Scheme I's curriculum
weight is `starting_rate` while `iteration < curriculum_epochs * epoch_iterations`,
then `default_rate`; the iteration is the generator optimizer's update count, so it
resumes with the checkpoint.

BatchNorm (scheme I): training normalises with each replica's own batch statistics;
under `MirroredStrategy` they are not synchronised (the official code runs on one GPU,
batch 1), and each running statistic becomes the mean of the replicas' updates. Every
train-mode call moves the running statistics, as in PT (12 calls per iteration).
`translate` (export, evaluation) runs in inference mode: the running statistics only.
"""

import numpy as np
import tensorflow as tf
from keras import ops

from ugatit_tf.directions import check_direction
from ugatit_tf.losses import attention_gan as objectives
from ugatit_tf.losses.image_pool import ImagePool
from ugatit_tf.models.attention_gan import Scheme1Discriminator, Scheme1Generator, Scheme2Generator
from ugatit_tf.models.building import output_dtype
from ugatit_tf.models.cyclegan import PatchGANDiscriminator
from ugatit_tf.optimizers import TorchAdam
from ugatit_tf.schedules import HalfConstantLinearDecay
from ugatit_tf.tasks.base import TranslationTask
from ugatit_tf.visualization import jet

SCHEMES = (1, 2)
NAMES = {1: ("G_A2B", "G_B2A", "D_A", "D_B"), 2: ("G_A", "G_B", "D_A", "D_B")}


def _get(section, key, default):
    return section[key] if key in section else default


class AttentionGANTask(TranslationTask):
    """AttentionGAN scheme I or II (`config.model.scheme`).

    Config keys read (defaults = the official values): `model.scheme`,
    `model.base_filters` (ngf), `model.num_res_blocks`, `model.image_size`,
    `model.disc_base_filters` (ndf / scheme I's D width), `model.disc_layers` (scheme II's
    n_layers_D), `model.norm` (scheme I), `model.geo` (scheme II); `loss.*` (the
    `Scheme1Weights` / `Scheme2Weights` fields); `train.learning_rate`, `train.beta_1`,
    `train.beta_2`, `train.iterations`, `train.decay_flag`, `train.epoch_iterations`,
    `train.pool_size`.
    """

    name = "attention_gan"

    def __init__(self, config, dtype=None):
        super().__init__(config, dtype)
        m = config.model
        self.scheme = int(_get(m, "scheme", 2))
        if self.scheme not in SCHEMES:
            raise ValueError(f"config.model.scheme must be 1 or 2, got {self.scheme!r}.")
        size = m.image_size
        g_ab, g_ba, d_a, d_b = NAMES[self.scheme]
        if self.scheme == 1:
            norm = _get(m, "norm", "batch")
            gen = lambda name: Scheme1Generator(m.base_filters, m.num_res_blocks, norm,
                                                dtype=dtype, name=name)
            disc = lambda name: Scheme1Discriminator(m.disc_base_filters, norm, dtype=dtype,
                                                     name=name)
            self.weights = objectives.Scheme1Weights(
                **{f: config.loss[f] for f in objectives.Scheme1Weights.__dataclass_fields__
                   if f in config.loss})
        else:
            geo = bool(_get(m, "geo", False))
            gen = lambda name: Scheme2Generator(m.base_filters, m.num_res_blocks, geo,
                                                dtype=dtype, name=name)
            disc = lambda name: PatchGANDiscriminator(m.disc_base_filters,
                                                      _get(m, "disc_layers", 3),
                                                      dtype=dtype, name=name)
            self.weights = objectives.Scheme2Weights(
                **{f: config.loss[f] for f in objectives.Scheme2Weights.__dataclass_fields__
                   if f in config.loss})
        self.networks = {g_ab: gen(g_ab), g_ba: gen(g_ba), d_a: disc(d_a), d_b: disc(d_b)}
        for net in self.networks.values():
            net.build((None, size, size, 3))
        self.generators = {"a2b": self.networks[g_ab], "b2a": self.networks[g_ba]}
        pool_size = _get(config.train, "pool_size", 50)
        seed = _get(config.train, "seed", 0)
        fake_dtype = output_dtype(self.generators["a2b"].compute_dtype)
        self.pools = {d: ImagePool(pool_size, (size, size, 3), fake_dtype, seed=seed + i,
                                   name=f"fake_{d}_pool") for i, d in enumerate("AB")}

    @property
    def generator_names(self):
        return NAMES[self.scheme][:2]

    @property
    def metric_names(self):
        if self.scheme == 1:
            return ("D_loss", "G_loss", *objectives.SCHEME1_GENERATOR_TERMS,
                    *objectives.SCHEME1_DISCRIMINATOR_TERMS)
        return ("D_loss", "G_loss", *objectives.SCHEME2_GENERATOR_TERMS,
                *objectives.SCHEME2_DISCRIMINATOR_TERMS)

    def make_optimizers(self):
        """Two `TorchAdam`s (no weight decay, as the official code): G over both
        generators, D over both discriminators."""
        train = self.config.train
        default_lr = 1e-4 if self.scheme == 1 else 2e-4

        def optimizer():
            schedule = HalfConstantLinearDecay(_get(train, "learning_rate", default_lr),
                                               train.iterations, _get(train, "decay_flag",
                                                                      False))
            # mixed_float16 loss scaling is the trainer's (it wraps these)
            return TorchAdam(schedule, beta_1=_get(train, "beta_1", 0.5),
                             beta_2=_get(train, "beta_2", 0.999), coupled_weight_decay=0.0)

        return {"generator": optimizer(), "discriminator": optimizer()}

    def curriculum_rate(self, iteration, dtype="float32"):
        """Scheme I's weight r at a (0-based) iteration: see the module docstring."""
        w = self.weights
        epoch_iterations = _get(self.config.train, "epoch_iterations", 1000)
        boundary = w.curriculum_epochs * epoch_iterations
        constant = lambda x: ops.convert_to_tensor(x, dtype=dtype)
        return ops.where(ops.cast(iteration, "int64") < boundary, constant(w.starting_rate),
                         constant(w.default_rate))

    def train_step(self, real_a, real_b, optimizers, loss_scale=1.0):
        g_opt, d_opt = optimizers["generator"], optimizers["discriminator"]
        g_vars = [v for n in self.generator_networks for v in n.trainable_variables]
        d_vars = [v for n in self.discriminator_networks for v in n.trainable_variables]
        g_ab, g_ba, d_a, d_b = (self.networks[k] for k in NAMES[self.scheme])
        dtype = output_dtype(g_ab.compute_dtype)  # the dtype the losses run in
        real_a, real_b = ops.cast(real_a, dtype), ops.cast(real_b, dtype)

        with tf.GradientTape() as tape:
            if self.scheme == 1:
                rate = self.curriculum_rate(g_opt.iterations, dtype)
                g_total, g_terms, (fake_a, fake_b) = objectives.scheme1_generator_objective(
                    g_ab, g_ba, d_a, d_b, real_a, real_b, rate, self.weights)
                # The TV terms are batch sums: a replica's share of the global sum is
                # its own sum, not a 1/replicas fraction.
                reg = (g_terms["reg_A"] + g_terms["reg_B"]) * (1.0 - g_terms["rate"])
                g_loss = (g_total - reg) * loss_scale + reg
            else:
                g_total, g_terms, (fake_a, fake_b) = objectives.scheme2_generator_objective(
                    g_ab, g_ba, d_a, d_b, real_a, real_b, self.weights)
                g_loss = g_total * loss_scale
            g_loss = g_opt.scale_loss(g_loss)
        g_opt.apply(tape.gradient(g_loss, g_vars), g_vars)

        pooled_a, pooled_b = self._query_pool("A", fake_a), self._query_pool("B", fake_b)
        with tf.GradientTape() as tape:
            if self.scheme == 1:
                d_total, d_terms = objectives.scheme1_discriminator_objective(
                    d_a, d_b, real_a, real_b, pooled_a, pooled_b)
            else:
                d_total, d_terms = objectives.scheme2_discriminator_objective(
                    d_a, d_b, real_a, real_b, pooled_a, pooled_b)
            d_loss = d_opt.scale_loss(d_total * loss_scale)
        d_opt.apply(tape.gradient(d_loss, d_vars), d_vars)
        return {"D_loss": d_total, "G_loss": g_total, **g_terms, **d_terms}

    def _query_pool(self, domain, fakes):
        return self.pools[domain].query(ops.stop_gradient(fakes))

    def translate(self, direction, images):
        """`{"image": [N, H, W, 3], "attention": masks}` in inference mode, float32:
        scheme II's `[N, H, W, 10]` (foreground masks 1..9, the background mask last),
        scheme I's `[N, H, W, 1]`."""
        gen = self.generators[check_direction(direction)]
        images = ops.cast(images, gen.compute_dtype)
        outputs = gen(images, training=False) if self.scheme == 1 else gen(images)
        return {"image": ops.cast(outputs[0], "float32"),
                "attention": ops.cast(outputs[1], "float32")}

    def sample_rows(self, direction, images):
        """Rows: the input, the background mask (scheme II: a10; scheme I: 1 - att) as a
        jet heatmap, the translation, the foreground masks (scheme II: a1..a9; scheme I:
        att), the cycle reconstruction. Masks are in [0, 1] already and are coloured
        without rescaling, so their absolute values show."""
        back = "b2a" if check_direction(direction) == "a2b" else "a2b"
        out = self.translate(direction, images)
        cycle = self.translate(back, out["image"])["image"]
        masks = np.asarray(out["attention"])
        to_unit = lambda x: np.clip((np.asarray(x, np.float32) + 1.0) * 0.5, 0.0, 1.0)
        if self.scheme == 2:
            background, foreground = masks[..., -1], [masks[..., i] for i in range(9)]
        else:
            background, foreground = 1.0 - masks[..., 0], [masks[..., 0]]
        return [to_unit(images), jet(background), to_unit(out["image"]),
                *[jet(m) for m in foreground], to_unit(cycle)]

    def checkpoint_state(self):
        return {"fake_A_pool": self.pools["A"], "fake_B_pool": self.pools["B"]}
