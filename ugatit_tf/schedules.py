"""The official learning-rate schedule."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="ugatit_tf")
class HalfConstantLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Constant for the first half of training, then linearly down to 0.

    PT subtracts `lr / (iterations // 2)` before every step past the half, so the update
    at (0-based) step k uses `lr * min(1, (iterations - k - 1) / (iterations // 2))`;
    the last update uses 0.

    Args:
        learning_rate: the initial rate.
        iterations: total training steps.
        decay: if False, the rate stays constant (PT's `--decay_flag False`).
    """

    def __init__(self, learning_rate, iterations, decay=True):
        if learning_rate <= 0 or iterations < 1:
            raise ValueError(f"need learning_rate > 0 and iterations >= 1, got "
                             f"{learning_rate} and {iterations}.")
        self.learning_rate = learning_rate
        self.iterations = iterations
        self.decay = decay

    def __call__(self, step):
        # float64: exact for float64 training; the optimizer rounds it to a float32
        # variable's dtype once, as a float32 constant would be rounded.
        lr = ops.convert_to_tensor(self.learning_rate, "float64")
        if not self.decay:
            return lr
        half = max(self.iterations // 2, 1)
        remaining = ops.cast(self.iterations - 1 - step, "float64") / float(half)
        return lr * ops.clip(remaining, 0.0, 1.0)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "iterations": self.iterations,
                "decay": self.decay}


@keras.saving.register_keras_serializable(package="ugatit_tf")
class ConstantThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """CycleGAN's `lr_policy='linear'` in iterations: constant, then linearly towards 0.

    The update at (0-based) step k uses
    `lr * (1 - max(0, k + 1 - constant_steps) / (decay_steps + 1))`: 1 up to step
    `constant_steps - 1`, then down by `1 / (decay_steps + 1)` per step, to
    `1 / (decay_steps + 1)` at the last of `constant_steps + decay_steps` steps.

    The official rule is the same line in epochs (`n_epochs`, `n_epochs_decay`):
    `1 - max(0, t + epoch_count - n_epochs) / (n_epochs_decay + 1)` after t scheduler
    steps, one per epoch of `max(|A|, |B|)` iterations (batch 1), taken at the end of
    each epoch in the 2019 code (docs/cyclegan.md). With
    `constant_steps = n_epochs * E` and `decay_steps = n_epochs_decay * E` this schedule
    follows that staircase's line at every iteration: the paper's "same learning rate for
    the first 100 epochs and linearly decay the rate to zero over the next 100 epochs".

    Args:
        learning_rate: the initial rate.
        constant_steps: steps at the initial rate.
        decay_steps: steps of the linear decay; later steps use 0.
    """

    def __init__(self, learning_rate, constant_steps, decay_steps):
        if learning_rate <= 0 or constant_steps < 0 or decay_steps < 0:
            raise ValueError(f"need learning_rate > 0 and non-negative step counts, got "
                             f"{learning_rate}, {constant_steps} and {decay_steps}.")
        self.learning_rate = learning_rate
        self.constant_steps = constant_steps
        self.decay_steps = decay_steps

    def __call__(self, step):
        # float64: 2e-4 in float32 is 2.5e-8 too small, which Adam passes to every
        # weight of a float64 model; the optimizer casts to each variable's dtype.
        lr = ops.convert_to_tensor(self.learning_rate, "float64")
        past = ops.maximum(ops.cast(step, "float64") + 1.0 - self.constant_steps, 0.0)
        return lr * ops.maximum(1.0 - past / float(self.decay_steps + 1), 0.0)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "constant_steps": self.constant_steps,
                "decay_steps": self.decay_steps}
