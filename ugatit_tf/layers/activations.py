"""LeakyReLU with its slope in the compute dtype."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="ugatit_tf")
class LeakyReLU(keras.layers.Layer):
    """`x if x > 0 else negative_slope * x`, the slope multiplied in the compute dtype.

    `keras.layers.LeakyReLU` passes the slope to TF's kernel as a float32 attribute
    (0.01 becomes 0.0099999998), which caps a float64 model at ~1e-8 relative error on
    the negative side: this layer keeps the slope a Python float.

    Args:
        negative_slope: the slope for x <= 0, >= 0 (PyTorch's default is 0.01).

    Call arguments:
        inputs: any tensor.

    Returns:
        The same shape and dtype.

    Reference: `torch.nn.LeakyReLU`.
    """

    def __init__(self, negative_slope=0.01, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(negative_slope, (int, float)) or negative_slope < 0:
            raise ValueError(f"negative_slope must be a number >= 0, got {negative_slope!r}.")
        self.negative_slope = float(negative_slope)

    def call(self, inputs):
        return ops.where(inputs > 0, inputs, inputs * self.negative_slope)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}
