"""Batch normalisation as `torch.nn.BatchNorm2d` computes it."""

import keras
import tensorflow as tf
from keras import ops

from ugatit_tf.layers.normalization import normalize
from ugatit_tf.layers.precision import accurate_sum, internal_dtype, statistics_dtype


def scale_and_shift(x, gamma, beta):
    """`x * gamma + beta` per channel, the gamma and beta gradients summed with
    `accurate_sum` (TF's float32 reductions add linearly: ~1e-6 relative over 96x96)."""

    @tf.custom_gradient
    def forward(x, gamma, beta):
        def grad(d_out):
            axes = (0, 1, 2)
            return (d_out * gamma, ops.reshape(accurate_sum(d_out * x, axes), (-1,)),
                    ops.reshape(accurate_sum(d_out, axes), (-1,)))

        return x * gamma + beta, grad

    return forward(x, gamma, beta)


@keras.saving.register_keras_serializable(package="ugatit_tf")
class BatchNorm(keras.layers.Layer):
    """`nn.BatchNorm2d(C)`: affine, with running statistics, PyTorch's update rule.

    Differs from `keras.layers.BatchNormalization` where the official numbers depend on
    it: epsilon 1e-5, `momentum` is the weight of the new batch (PT's convention, 0.1),
    and the running variance is updated with the unbiased batch variance (n / (n - 1),
    n = N * H * W) while the batch is normalised with the biased one.

    Training mode normalises with this replica's batch statistics. Under
    `MirroredStrategy` they are per replica (not synchronised), and each running
    statistic becomes the mean of the replicas' updates (`aggregation="mean"`).
    Inference mode (evaluation, export) uses the running statistics only.

    Args:
        momentum: in (0, 1], the weight of the batch in `running = (1 - m) running + m batch`.
        epsilon: added to the variance.
        gamma_initializer: the scale's initializer (the official scheme I uses N(1, 0.02)).

    Call arguments:
        inputs: `[N, H, W, C]`.
        training: batch statistics (and a running-statistics update) if true.

    Returns:
        `[N, H, W, C]` in the compute dtype.

    Reference: `torch.nn.BatchNorm2d`; AttentionGAN-v1 `models.py` (its default norm).
    """

    def __init__(self, momentum=0.1, epsilon=1e-5, gamma_initializer="ones", **kwargs):
        super().__init__(autocast=False, **kwargs)
        if not 0.0 < momentum <= 1.0:
            raise ValueError(f"momentum must be in (0, 1], got {momentum}.")
        if epsilon <= 0:
            raise ValueError(f"epsilon must be positive, got {epsilon}.")
        self.momentum = momentum
        self.epsilon = epsilon
        self.gamma_initializer = keras.initializers.get(gamma_initializer)

    def build(self, input_shape):
        shape = (input_shape[-1],)
        self.gamma = self.add_weight(name="gamma", shape=shape,
                                     initializer=self.gamma_initializer, autocast=False)
        self.beta = self.add_weight(name="beta", shape=shape, initializer="zeros",
                                    autocast=False)
        stat = dict(shape=shape, trainable=False, autocast=False, aggregation="mean")
        self.moving_mean = self.add_weight(name="moving_mean", initializer="zeros", **stat)
        self.moving_variance = self.add_weight(name="moving_variance", initializer="ones",
                                               **stat)

    def call(self, inputs, training=False):
        dtype = statistics_dtype(self.compute_dtype)
        x = ops.cast(inputs, dtype)
        if training:
            axes = (0, 1, 2)
            out = normalize(x, axes, self.epsilon, unbiased=False,
                            compute_dtype=self.compute_dtype)
            wide = internal_dtype(self.compute_dtype)
            stats = ops.cast(ops.stop_gradient(x), wide)
            count = ops.cast(ops.shape(x)[0] * ops.shape(x)[1] * ops.shape(x)[2], wide)
            mean = ops.sum(stats, axis=axes) / count
            variance = ops.sum(ops.square(stats - mean), axis=axes) / (count - 1.0)
            m = self.momentum
            for var, value in ((self.moving_mean, mean), (self.moving_variance, variance)):
                var.assign(ops.cast((1.0 - m) * ops.cast(var, wide) + m * value, var.dtype))
        else:
            mean = ops.cast(self.moving_mean, dtype)
            out = (x - mean) / ops.sqrt(ops.cast(self.moving_variance, dtype) + self.epsilon)
        out = scale_and_shift(out, ops.cast(self.gamma, dtype), ops.cast(self.beta, dtype))
        return ops.cast(out, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon,
                "gamma_initializer": keras.initializers.serialize(self.gamma_initializer)}
