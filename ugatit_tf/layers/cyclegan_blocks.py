"""Building blocks of junyanz's CycleGAN networks (also used by AttentionGAN).

The official `init_weights(init_type='normal', init_gain=0.02)` draws every conv and
transposed-conv weight from N(0, 0.02) and sets biases to 0; `official_normal()` is that
initializer.
"""

import keras
from keras import ops

from ugatit_tf.layers.arguments import check_positive_int
from ugatit_tf.layers.normalization import InstanceNorm
from ugatit_tf.layers.padding import ReflectionPad2D

INIT_STDDEV = 0.02


def official_normal():
    """N(0, 0.02), the official conv init. A new initializer per layer: unseeded Keras
    initializers draw their seed when made, so the construction order fixes the weights."""
    return keras.initializers.RandomNormal(0.0, INIT_STDDEV)


def biased_conv2d(filters, kernel_size, strides=1, name=None, dtype=None):
    """A valid-padded conv with bias, initialised as the official CycleGAN code does."""
    return keras.layers.Conv2D(
        filters, kernel_size, strides=strides, padding="valid", use_bias=True,
        kernel_initializer=official_normal(), bias_initializer="zeros", dtype=dtype,
        name=name)


@keras.saving.register_keras_serializable(package="ugatit_tf")
class CycleGANResnetBlock(keras.layers.Layer):
    """`x + IN(conv(pad(ReLU(IN(conv(pad(x)))))))`: reflection-padded 3x3 convs with
    biases, non-affine instance norms, no ReLU after the sum, no dropout (the official
    default `--no_dropout`).

    Args:
        filters: channels of the input and output.

    Call arguments:
        inputs: `[N, H, W, filters]`, H and W at least 2.

    Returns:
        `[N, H, W, filters]`.

    Reference: Zhu et al. 2017, appendix 7.2; pytorch-CycleGAN-and-pix2pix
    `models/networks.py`, `ResnetBlock(padding_type='reflect', use_bias=True)`.
    """

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        check_positive_int("filters", filters)
        self.filters = filters
        dt = self.dtype_policy
        self.pad = ReflectionPad2D(1, dtype=dt, name="pad")
        self.conv1 = biased_conv2d(filters, 3, name="conv1", dtype=dt)
        self.norm1 = InstanceNorm(dtype=dt, name="norm1")
        self.conv2 = biased_conv2d(filters, 3, name="conv2", dtype=dt)
        self.norm2 = InstanceNorm(dtype=dt, name="norm2")

    def build(self, input_shape):
        padded = (input_shape[0], None, None, input_shape[-1])
        self.conv1.build(padded)
        self.conv2.build(padded)
        self.norm1.build(input_shape)
        self.norm2.build(input_shape)

    def call(self, inputs):
        x = ops.relu(self.norm1(self.conv1(self.pad(inputs))))
        return inputs + self.norm2(self.conv2(self.pad(x)))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


@keras.saving.register_keras_serializable(package="ugatit_tf")
class TorchConvTranspose2D(keras.layers.Layer):
    """A transposed conv aligned as `nn.ConvTranspose2d(k, s, padding, output_padding)`.

    The full transposed conv has `(H - 1) s + k` rows. PyTorch drops `padding` rows at
    the start and `padding - output_padding` at the end; Keras' `padding="same"` drops
    them at the end instead, a one-pixel shift for CycleGAN's (3, 2, 1, 1) up-sampling.
    This layer runs Keras' valid transposed conv and crops as PyTorch does. Its kernel is
    Keras' `[kh, kw, filters, in]`: PyTorch's `[in, out, kh, kw]` transposed by
    (2, 3, 1, 0), without a spatial flip.

    Args:
        filters: output channels.
        kernel_size: int, square kernel.
        strides: int.
        padding: rows and columns PyTorch crops at the start.
        output_padding: rows and columns given back at the end, at most `padding`.
        use_bias: add a bias (initialised to 0).
        kernel_initializer: default the official N(0, 0.02).

    Call arguments:
        inputs: `[N, H, W, C]`.

    Returns:
        `[N, (H - 1) s - 2 padding + k + output_padding, (same for W), filters]`.

    Reference: pytorch-CycleGAN-and-pix2pix `models/networks.py`, `ResnetGenerator`'s
    `nn.ConvTranspose2d(kernel_size=3, stride=2, padding=1, output_padding=1)`.
    """

    def __init__(self, filters, kernel_size=3, strides=2, padding=1, output_padding=1,
                 use_bias=True, kernel_initializer=None, **kwargs):
        super().__init__(**kwargs)
        check_positive_int("filters", filters)
        check_positive_int("kernel_size", kernel_size)
        check_positive_int("strides", strides)
        check_positive_int("padding", padding, minimum=0)
        check_positive_int("output_padding", output_padding, minimum=0)
        if output_padding > padding or output_padding >= strides:
            raise ValueError(
                f"output_padding must be at most padding ({padding}) and smaller than "
                f"strides ({strides}), got {output_padding}.")
        if 2 * padding - output_padding >= kernel_size:
            raise ValueError(f"padding {padding} crops the whole {kernel_size}-tap kernel "
                             f"away: use a smaller padding.")
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.padding = padding
        self.output_padding = output_padding
        self.use_bias = use_bias
        initializer = (official_normal() if kernel_initializer is None
                       else keras.initializers.get(kernel_initializer))
        self.kernel_initializer = initializer
        self.conv = keras.layers.Conv2DTranspose(
            filters, kernel_size, strides=strides, padding="valid", use_bias=use_bias,
            kernel_initializer=initializer, bias_initializer="zeros",
            dtype=self.dtype_policy, name="conv")

    def build(self, input_shape):
        self.conv.build(input_shape)

    def call(self, inputs):
        x = self.conv(inputs)
        start, end = self.padding, self.padding - self.output_padding
        return x[:, start:-end, start:-end] if end else x[:, start:, start:]

    def _size(self, d):
        if d is None:
            return None
        return ((d - 1) * self.strides - 2 * self.padding + self.kernel_size
                + self.output_padding)

    def compute_output_shape(self, input_shape):
        n, h, w, _ = input_shape
        return (n, self._size(h), self._size(w), self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
