"""U-GAT-IT (Kim et al., ICLR 2020) as a task: the official PyTorch training iteration.

One iteration is PT's: a discriminator update on (A, B) with the fakes held constant,
then a generator update on the same batch with the updated D; rho is clipped by its
constraint inside the generator optimizer's update. Network names are the official
ones (`genA2B`, `genB2A`, `disGA`, `disGB`, `disLA`, `disLB`), which are also the
checkpoint's: work dirs written before tasks existed restore unchanged.
"""

import numpy as np
import tensorflow as tf

from ugatit_tf import losses, visualization
from ugatit_tf.directions import check_direction
from ugatit_tf.gradients import stacked_dense_gradients
from ugatit_tf.models import build_networks
from ugatit_tf.optimizers import TorchAdam
from ugatit_tf.schedules import HalfConstantLinearDecay
from ugatit_tf.tasks.base import TranslationTask

# The ablation keys (configs/ugatit/ablation_*.py) as the official model has them, for
# config.json files written before they existed.
ABLATION_DEFAULTS = {"decoder_norm": "adalin", "generator_cam": True,
                     "discriminator_cam": True}


def networks_from_config(model_config, dtype=None):
    """The six networks of a `configs/ugatit` model config (`ABLATION_DEFAULTS` where
    an ablation key is absent)."""
    m = model_config
    ablation = {k: m.get(k, v) for k, v in ABLATION_DEFAULTS.items()}
    return build_networks(
        base_filters=m.base_filters, num_res_blocks=m.num_res_blocks,
        image_size=m.image_size, light=m.light, disc_global_layers=m.disc_global_layers,
        disc_local_layers=m.disc_local_layers, dtype=dtype, **ablation)


class UGATITTask(TranslationTask):
    """Two CAM + AdaLIN generators, a global and a local CAM discriminator per domain.

    Config (configs/ugatit/default.py): `model.base_filters` (ch), `model.num_res_blocks`,
    `model.image_size`, `model.light`, `model.disc_global_layers`,
    `model.disc_local_layers`, the ablations `model.decoder_norm`, `model.generator_cam`,
    `model.discriminator_cam`; `loss.adversarial`, `loss.cycle`, `loss.identity`,
    `loss.cam`; `train.learning_rate`, `train.beta_1`, `train.beta_2`,
    `train.weight_decay` (coupled, as PT's Adam), `train.iterations`, `train.decay_flag`.
    """

    name = "ugatit"
    model_defaults = ABLATION_DEFAULTS

    def __init__(self, config, dtype=None):
        super().__init__(config, dtype)
        self.nets = networks_from_config(config.model, dtype=dtype)
        self.networks = dict(self.nets.items())
        self.generators = {"a2b": self.nets.gen_a2b, "b2a": self.nets.gen_b2a}
        loss = config.loss
        self.loss_weights = losses.LossWeights(loss.adversarial, loss.cycle, loss.identity,
                                               loss.cam)

    @property
    def generator_names(self):
        return ("genA2B", "genB2A")

    @property
    def metric_names(self):
        return ("D_loss", "G_loss", *losses.discriminator_terms(self.nets),
                *losses.generator_terms(self.nets))

    def make_optimizers(self):
        """TorchAdam (PT's coupled weight decay) with the official schedule: the lr
        constant for half the iterations, then linearly to 0."""
        train = self.config.train

        def adam():
            schedule = HalfConstantLinearDecay(train.learning_rate, train.iterations,
                                               train.decay_flag)
            return TorchAdam(schedule, beta_1=train.beta_1, beta_2=train.beta_2,
                             coupled_weight_decay=train.weight_decay)

        return {"generator": adam(), "discriminator": adam()}

    # ---- the training iteration ----------------------------------------------------

    def train_step(self, real_a, real_b, optimizers, loss_scale=1.0):
        """PT's iteration: a D update with the fakes held constant, then a G update on
        the same batch with the updated D.

        The generators are not updated in between, so the fakes of the D update are
        the G update's: the six generator calls run once, first, under the G tape
        (PT runs two of them twice), the D update runs with that tape paused, and the
        D calls of the G loss follow it. Same losses and gradients as the reference
        objectives in that order (tests/test_losses_fused.py). Each D runs three
        power-iteration rounds per iteration, as PT's three training-mode calls (real
        and fake in the D update, fake in the G update); with
        `batch_discriminator_calls` the first two are one call on both batches.
        """
        nets, weights = self.nets, self.loss_weights
        gen_optimizer, disc_optimizer = optimizers["generator"], optimizers["discriminator"]
        gen_variables = [v for n in nets.generators for v in n.trainable_variables]
        disc_variables = [v for n in nets.discriminators for v in n.trainable_variables]

        with tf.GradientTape() as gen_tape:
            translations = losses.generator_translations(
                nets, real_a, real_b, batched=self.batch_translations,
                mlp_io=self.stack_mlp_gradients)
            with gen_tape.stop_recording():
                with tf.GradientTape() as disc_tape:
                    d_total, d_terms = losses.discriminator_objective_on_fakes(
                        nets, real_a, real_b, translations["b2a"][0],
                        translations["a2b"][0], weights,
                        batched=self.batch_discriminator_calls)
                    d_loss = disc_optimizer.scale_loss(d_total * loss_scale)
                disc_optimizer.apply(disc_tape.gradient(d_loss, disc_variables),
                                     disc_variables)
            g_total, g_terms = losses.generator_objective_on_translations(
                nets, real_a, real_b, translations, weights)
            g_loss = gen_optimizer.scale_loss(g_total * loss_scale)
        if self.stack_mlp_gradients:
            grads = stacked_dense_gradients(gen_tape, g_loss, gen_variables,
                                            translations["mlp_io"])
        else:
            grads = gen_tape.gradient(g_loss, gen_variables)
        gen_optimizer.apply(grads, gen_variables)
        return {"D_loss": d_total, "G_loss": g_total, **d_terms, **g_terms}

    # Each generator's translation and identity calls as one call on both batches
    # (`losses.generator_translations`, `batched`): four generator calls per iteration
    # instead of six, held to the official numbers by tests/test_losses_fused.py and
    # the golden step; set before the step is traced (gpu_bench's `unbatchedG`).
    batch_translations = True

    # Each discriminator's real and fake calls of the D update as one call
    # (`losses.discriminator_objective_on_fakes`, `batched`): the same function, held
    # to the official numbers by the golden step (tests/test_golden.py); set before the
    # step is traced (bench/gpu_bench.py's `unbatchedD` times it off).
    batch_discriminator_calls = True

    @property
    def stack_mlp_gradients(self):
        """Full models: the first MLP kernel's gradient as one product of the three
        calls' inputs and output gradients (see `stacked_dense_gradients`), not three
        kernel-sized ones (1 GiB each at 256 px)."""
        return not self.nets.gen_a2b.light

    # ---- inference, samples, statistics --------------------------------------------

    def translate(self, direction, images):
        """`{"image", "heatmap", "cam_logit"}`; a generator without CAM gives the image
        only."""
        image, cam_logit, heatmap = self.generators[check_direction(direction)](images)
        outputs = {"image": image, "heatmap": heatmap, "cam_logit": cam_logit}
        return {k: tf.cast(v, tf.float32) for k, v in outputs.items() if v is not None}

    def sample_rows(self, direction, images):
        """The official 7 rows: real, heatmap and image of the identity, heatmap and
        image of the translation, heatmap and image of the cycle."""
        forward = self.generators[check_direction(direction)]
        backward = self.generators["b2a" if direction == "a2b" else "a2b"]
        strip = visualization.translation_strip(images, forward, backward)
        n, h, w = images.shape[:3]
        rows = strip.reshape(-1, h, n, w, 3).transpose(0, 2, 1, 3, 4)
        return [row.astype(np.float32) / 255.0 for row in rows]

    def statistics(self):
        """rho's mean, min and max over the generators' AdaLIN and LIN layers."""
        rhos = [v.numpy() for n in self.nets.generators for v in n.trainable_variables
                if v.path.endswith("/rho")]
        if not rhos:
            return {}
        rhos = np.concatenate(rhos)
        return {"rho/mean": float(rhos.mean()), "rho/min": float(rhos.min()),
                "rho/max": float(rhos.max())}
