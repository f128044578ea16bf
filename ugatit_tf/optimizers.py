"""Adam as `torch.optim.Adam` computes it, with PT's coupled weight decay."""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="ugatit_tf")
class TorchAdam(keras.optimizers.Adam):
    """`torch.optim.Adam(lr, betas, eps, weight_decay)`, one fused kernel per variable.

    Differs from `keras.optimizers.Adam` in two ways that the official code depends on:
    - `coupled_weight_decay` adds `wd * w` to the gradient before the moments (PT's
      Adam), where Keras' `weight_decay` is decoupled (AdamW);
    - epsilon is added to the bias-corrected sqrt(v), as PT does, by passing
      `epsilon * sqrt(1 - beta_2^t)` to TF's fused `ResourceApplyAdam`.

    The fused kernel is also what keeps the training graph small: Keras' Adam builds
    ~40 ops per variable, this ~10; the bias-corrected learning rate and epsilon are
    computed once per update and dtype (and device), not once per variable, which took
    ~23 more ops per variable (13% of the U-GAT-IT step's graph, whose size sets the
    start-up time: tracing, graph optimisation, XLA's conversion; bench/RESULTS.md).

    Args:
        learning_rate: a float or a LearningRateSchedule.
        beta_1, beta_2, epsilon: as in torch (eps default 1e-8).
        coupled_weight_decay: PT's `weight_decay`.
        **kwargs: other `keras.optimizers.Optimizer` arguments.
    """

    def __init__(self, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 coupled_weight_decay=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, **kwargs)
        if coupled_weight_decay < 0:
            raise ValueError(f"coupled_weight_decay must be >= 0, got {coupled_weight_decay}.")
        self.coupled_weight_decay = coupled_weight_decay
        self._update_scalars = None  # a dict while an update runs: see update_step

    def _distributed_tf_update_step(self, distribution, grads_and_vars, learning_rate):
        # Keras' TF backend runs every variable's `update_step` in here, once per update
        # (in the cross-replica context under tf.distribute): the scope of the shared
        # scalars. Outside it (another backend path) each variable computes its own.
        self._update_scalars = {}
        try:
            return super()._distributed_tf_update_step(distribution, grads_and_vars,
                                                       learning_rate)
        finally:
            self._update_scalars = None

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        gradient = tf.cast(gradient, dtype)
        if self.coupled_weight_decay:
            # Read the weights only once the gradient exists: otherwise the executor is
            # free to compute every `wd * w` before the backward pass and hold them all.
            with tf.control_dependencies([gradient]):
                weights = tf.convert_to_tensor(variable)
            gradient = gradient + self.coupled_weight_decay * weights
        zero, beta_1, beta_2, lr, epsilon = self._kernel_scalars(dtype, variable.device,
                                                                 learning_rate)
        index = self._get_variable_index(variable)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle,
            m=self._momentums[index].handle,
            v=self._velocities[index].handle,
            beta1_power=zero,
            beta2_power=zero,
            lr=lr,
            beta1=beta_1,
            beta2=beta_2,
            epsilon=epsilon,
            grad=gradient,
            use_locking=False)

    def _kernel_scalars(self, dtype, device, learning_rate):
        """`(0, beta_1, beta_2, lr, epsilon)` for the fused kernel in `dtype`, with PT's
        bias corrections folded into lr and epsilon; shared by the variables of one
        update on one device (`_update_scalars`)."""
        key = (tf.as_dtype(dtype).name, device)
        if self._update_scalars is not None and key in self._update_scalars:
            return self._update_scalars[key]
        # The bias corrections run in float64 (from the betas as the kernel sees them, in
        # the variable's dtype) and are folded into lr and epsilon; the kernel gets beta
        # powers of 0, so its own correction is 1. In float32, 1 - beta_2^t loses
        # 3e-5 to cancellation (PT computes it in Python floats), which moved the
        # second Adam step by ~2e-6 (tests/tasks/test_attention_gan_task.py).
        # tf.constant, not tf.cast: a cast goes through float32 (0.999 -> 0.99900001).
        beta_1, beta_2 = tf.constant(self.beta_1, dtype), tf.constant(self.beta_2, dtype)
        wide = tf.float64
        step = tf.cast(self.iterations + 1, wide)
        correction_1 = 1.0 - tf.pow(tf.cast(beta_1, wide), step)
        root_correction_2 = tf.sqrt(1.0 - tf.pow(tf.cast(beta_2, wide), step))
        lr = tf.cast(learning_rate, wide) * root_correction_2 / correction_1
        scalars = (tf.zeros((), dtype), beta_1, beta_2, tf.cast(lr, dtype),
                   tf.cast(self.epsilon * root_correction_2, dtype))
        if self._update_scalars is not None:
            self._update_scalars[key] = scalars
        return scalars

    def get_config(self):
        return {**super().get_config(), "coupled_weight_decay": self.coupled_weight_decay}
