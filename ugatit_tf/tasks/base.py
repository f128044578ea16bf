"""The task interface: what a model family gives the shared trainer and apps.

A task owns its networks (built from the config), its optimizers' settings, one
training iteration in the official order, the names of the terms that iteration
returns, what its generators return for export and evaluation, and the rows of its
sample grids. The trainer (`ugatit_tf.trainer`), checkpoints and the apps only talk to
this interface; the loss math and any speed path live in the task.
"""

import abc


class TranslationTask(abc.ABC):
    """One unpaired A <-> B translation model family.

    Args:
        config: the resolved ml_collections config (`model`, `loss`, `train`, `data`).
        dtype: Keras dtype policy name for the networks (None: the global policy).

    Attributes a subclass sets in `__init__`:
        networks: `{checkpoint name: built keras.Model}`, official names (`genA2B`, `G_A`,
            ...); the checkpoint stores each under its name.
        generators: `{"a2b": model, "b2a": model}`: the translators, also in `networks`.
    """

    name = None  # "ugatit", "cyclegan", ... (`config.task`)
    # Model config keys added after work dirs were written, with the values those work
    # dirs were trained with (a config.json without them means these).
    model_defaults = {}

    def __init__(self, config, dtype=None):
        self.config = config
        self.dtype = dtype

    @property
    def generator_networks(self):
        """The networks that `make_optimizers()["generator"]` updates."""
        return [n for k, n in self.networks.items() if k in self.generator_names]

    @property
    def discriminator_networks(self):
        return [n for k, n in self.networks.items() if k not in self.generator_names]

    @property
    @abc.abstractmethod
    def generator_names(self):
        """The keys of `networks` that are generators."""

    @abc.abstractmethod
    def make_optimizers(self):
        """`{"generator": optimizer, "discriminator": optimizer}`, not yet built."""

    @property
    @abc.abstractmethod
    def metric_names(self):
        """The keys `train_step` returns: totals first (`D_loss`, `G_loss`), then the
        terms under the official names."""

    @abc.abstractmethod
    def train_step(self, real_a, real_b, optimizers, loss_scale=1.0):
        """One official training iteration on one replica's batch.

        Args:
            real_a, real_b: `[n, S, S, 3]` in [-1, 1], this replica's share.
            optimizers: the dict `make_optimizers` returned (built on the variables).
            loss_scale: multiplies each loss before its gradient (1 / replicas: a
                replica's share of the global batch mean).

        Returns:
            `{name: scalar}` for every `metric_names` entry, unscaled.
        """

    @abc.abstractmethod
    def translate(self, direction, images):
        """Inference for export and evaluation.

        Returns:
            `{"image": [N, H, W, 3] float32 in [-1, 1], ...}`: the translation first,
            then the family's extra outputs (U-GAT-IT: `heatmap`, `cam_logit`;
            AttentionGAN: `attention`), all float32.
        """

    @abc.abstractmethod
    def sample_rows(self, direction, images):
        """The rows of one sample grid: a list of `[N, H, W, 3]` numpy arrays in [0, 1]
        (input first, the translation among them, heatmaps as colour images)."""

    def checkpoint_state(self):
        """Extra trackables to checkpoint beside networks and optimizers (e.g. an image
        pool): `{name: trackable}`."""
        return {}

    def statistics(self):
        """Scalars logged to TensorBoard beside the losses (e.g. rho), `{name: float}`."""
        return {}
