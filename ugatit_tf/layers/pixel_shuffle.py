"""Sub-pixel up-sampling in PyTorch's channel order (`nn.PixelShuffle`)."""

import keras
import tensorflow as tf
from keras import ops


@keras.saving.register_keras_serializable(package="ugatit_tf")
class PixelShuffle(keras.layers.Layer):
    """`nn.PixelShuffle(r)` on NHWC: `out[r h + i, r w + j, c] = in[h, w, r^2 c + r i + j]`.

    TF's `depth_to_space` reads channel `(r i + j) C + c` instead; the channels are
    regrouped first (a reshape and a 5-D transpose), so weights converted from PyTorch
    need no permutation and TFLite sees builtin ops only.

    Args:
        upscale_factor: r, an int >= 1.

    Call arguments:
        inputs: `[N, H, W, r^2 C]`.

    Returns:
        `[N, r H, r W, C]`.

    Reference: AttentionGAN-v1 `models.py`, the generator's up-sampling stages.
    """

    def __init__(self, upscale_factor=2, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(upscale_factor, int) or upscale_factor < 1:
            raise ValueError(f"upscale_factor must be a positive int, got {upscale_factor!r}.")
        self.upscale_factor = upscale_factor

    def _channels(self, depth):
        r2 = self.upscale_factor ** 2
        if depth % r2:
            raise ValueError(f"PixelShuffle({self.upscale_factor}) needs channels divisible "
                             f"by {r2}, got {depth}.")
        return depth // r2

    def call(self, inputs):
        r2 = self.upscale_factor ** 2
        channels = self._channels(inputs.shape[-1])
        shape = ops.shape(inputs)
        x = ops.reshape(inputs, (shape[0], shape[1], shape[2], channels, r2))
        x = ops.transpose(x, (0, 1, 2, 4, 3))
        x = ops.reshape(x, (shape[0], shape[1], shape[2], r2 * channels))
        return tf.nn.depth_to_space(x, self.upscale_factor)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        grow = lambda d: None if d is None else d * self.upscale_factor
        return (n, grow(h), grow(w), self._channels(c))

    def get_config(self):
        return {**super().get_config(), "upscale_factor": self.upscale_factor}
