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
