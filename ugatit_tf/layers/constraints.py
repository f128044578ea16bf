"""Weight constraints."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="ugatit_tf")
class ClipValue(keras.constraints.Constraint):
    """Clips a weight to `[min_value, max_value]` after every optimizer update.

    This is PT's `RhoClipper`: Keras 3 optimizers apply constraints after each step.
    """

    def __init__(self, min_value=0.0, max_value=1.0):
        if min_value > max_value:
            raise ValueError(f"min_value {min_value} is above max_value {max_value}.")
        self.min_value = min_value
        self.max_value = max_value

    def __call__(self, w):
        return ops.clip(w, self.min_value, self.max_value)

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value}
