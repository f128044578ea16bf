"""The decoder's upsampling conv: nearest x2, reflection pad 1, 3x3 conv, at the input's
resolution."""

import keras
import tensorflow as tf
from keras import ops

from ugatit_tf.layers.spectral_norm import pytorch_uniform
from ugatit_tf.layers.windows_matmul import valid_conv


def _phase_taps(kernel, axis):
    """The 3 taps of `kernel` along `axis` collapsed into each output phase's 2 taps.

    On a nearest-upsampled row U[k] = X[k // 2], reflection-padded by 1, output row
    2i reads X[i-1], X[i], X[i] and row 2i+1 reads X[i], X[i], X[i+1], where the
    padding makes X[-1] = X[0] and X[H] = X[H-1] (X padded "symmetric"). So phase 0
    applies taps (w0, w1 + w2) to X[i-1], X[i], and phase 1 (w0 + w1, w2) to X[i], X[i+1].
    """
    w0, w1, w2 = ops.unstack(kernel, 3, axis=axis)
    return (ops.stack([w0, w1 + w2], axis=axis), ops.stack([w0 + w1, w2], axis=axis))


@keras.saving.register_keras_serializable(package="ugatit_tf")
class UpsampleConv2D(keras.layers.Layer):
    """`conv3x3(reflection_pad_1(nearest_upsample_x2(x)))` without bias, computed as a
    sub-pixel conv: each of the four output phases (row and column parity) is a 2x2 conv
    of the input, padded "symmetric" by 1, with the 3x3 kernel's taps summed
    (`_phase_taps`). One valid 2x2 conv with 4 x filters outputs all four phases at
    (H + 1) x (W + 1) positions; each phase takes its H x W window and depth-to-space
    interleaves them. 16/36 of the multiplications, and neither the upsampled nor the
    padded upsampled map is ever made (bench/RESULTS.md).

    Args:
        filters: output channels.
        kernel_initializer: for the `[3, 3, C, filters]` kernel; default PT's
            `U(+-1/sqrt(9 C))`, made when the layer is built.

    Call arguments:
        inputs: `[N, H, W, C]`.

    Returns:
        `[N, 2H, 2W, filters]`.

    Reference: UGATIT-pytorch `networks.py`, `UpBlock2`: `nn.Upsample(scale_factor=2)`,
    `nn.ReflectionPad2d(1)`, `nn.Conv2d(C, filters, 3, 1, 0, bias=False)`.
    """

    def __init__(self, filters, kernel_initializer=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(filters, int) or filters < 1:
            raise ValueError(f"filters must be a positive int, got {filters!r}.")
        self.filters = filters
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        channels = input_shape[-1]
        # Read in float32 (autocast off): the taps are summed before the cast.
        self.kernel = self.add_weight(
            name="kernel", shape=(3, 3, channels, self.filters),
            initializer=self.kernel_initializer or pytorch_uniform(9 * channels),
            autocast=False)

    def call(self, inputs):
        rows = _phase_taps(ops.convert_to_tensor(self.kernel), axis=0)
        phases = [cols for row in rows for cols in _phase_taps(row, axis=1)]  # (a, b) order
        kernel = ops.cast(ops.concatenate(phases, axis=-1), self.compute_dtype)
        padded = ops.pad(inputs, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="symmetric")
        out = valid_conv(padded, kernel)  # [N, H + 1, W + 1, 4 * filters]
        f = self.filters
        # Phase (a, b) at output (2i + a, 2j + b) is its conv output at (i + a, j + b).
        windows = [out[:, :-1, :-1, :f], out[:, :-1, 1:, f:2 * f],
                   out[:, 1:, :-1, 2 * f:3 * f], out[:, 1:, 1:, 3 * f:]]
        return tf.nn.depth_to_space(ops.concatenate(windows, axis=-1), 2)

    def compute_output_shape(self, input_shape):
        n, h, w, _ = input_shape
        double = lambda d: None if d is None else 2 * d
        return (n, double(h), double(w), self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}
