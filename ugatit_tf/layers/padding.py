"""Reflection padding (`nn.ReflectionPad2d`)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="ugatit_tf")
class ReflectionPad2D(keras.layers.Layer):
    """Pads height and width by `padding` pixels on every side, mirroring the border.

    Args:
        padding: non-negative int, pixels added on each side.

    Call arguments:
        inputs: `[N, H, W, C]` with H and W larger than `padding`.

    Returns:
        `[N, H + 2p, W + 2p, C]`.

    Reference: UGATIT-pytorch `networks.py`, `nn.ReflectionPad2d`.
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(padding, int) or padding < 0:
            raise ValueError(f"padding must be a non-negative int, got {padding!r}.")
        self.padding = padding

    def _check_input_shape(self, shape):
        for d in shape[1:3]:
            if d is not None and d <= self.padding:
                raise ValueError(
                    f"ReflectionPad2D(padding={self.padding}) needs a height and width of at "
                    f"least {self.padding + 1}, got {shape[1]}x{shape[2]}: use larger inputs.")

    def call(self, inputs):
        self._check_input_shape(inputs.shape)
        p = self.padding
        return ops.pad(inputs, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        n, h, w, c = input_shape
        grow = lambda d: None if d is None else d + 2 * self.padding
        return (n, grow(h), grow(w), c)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}
