"""Activations whose constants keep the compute dtype's precision."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="ugatit_tf")
class LeakyReLU(keras.layers.Layer):
    """`x` where `x > 0`, else `negative_slope * x` (`nn.LeakyReLU`, whose gradient at
    0 is also the slope).

    `keras.layers.LeakyReLU` runs TF's `LeakyRelu` op, whose slope is a float32
    attribute: 0.2 becomes 0.20000000298, a relative error of 1.5e-8 on every negative
    activation, far above float64 round-off. Here the slope is multiplied in the
    compute dtype.

    Args:
        negative_slope: the slope for negative inputs, in [0, 1].

    Call arguments:
        inputs: any shape.

    Returns:
        The same shape and dtype.

    Reference: pytorch-CycleGAN-and-pix2pix `models/networks.py`, `nn.LeakyReLU(0.2)`.
    """

    def __init__(self, negative_slope=0.2, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= negative_slope <= 1.0:
            raise ValueError(f"negative_slope must be in [0, 1], got {negative_slope}.")
        self.negative_slope = negative_slope

    def call(self, inputs):
        return ops.where(inputs > 0, inputs, inputs * self.negative_slope)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}
