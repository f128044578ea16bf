"""LeakyReLU with its slope in the input's dtype."""

import keras
from keras import ops


def leaky_relu(x, negative_slope):
    """`max(x, slope * x)` for 0 <= slope < 1, with the slope in x's dtype.

    TF's `LeakyRelu` op (behind `keras.layers.LeakyReLU`) takes the slope as a float32
    attribute: 0.2 becomes 0.2000000030, 1.5e-8 off, which a float64 model cannot hide.
    """
    # `x * slope` converts the Python float in x's dtype; `ops.cast(slope, ...)` would
    # round it through float32 first.
    return ops.maximum(x, x * negative_slope)


@keras.saving.register_keras_serializable(package="ugatit_tf")
class LeakyReLU(keras.layers.Layer):
    """`nn.LeakyReLU(negative_slope)`, exact in every dtype (see `leaky_relu`).

    Args:
        negative_slope: the slope for negative inputs, in [0, 1).
    """

    def __init__(self, negative_slope=0.2, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= negative_slope < 1.0:
            raise ValueError(f"negative_slope must be in [0, 1), got {negative_slope}.")
        self.negative_slope = negative_slope

    def call(self, inputs):
        return leaky_relu(inputs, self.negative_slope)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}
