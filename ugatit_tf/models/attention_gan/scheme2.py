"""AttentionGAN scheme II (TNNLS 2021): `ResnetGenerator_our`.

A shared encoder, a content decoder (9 RGB content images, tanh) and a separate
attention decoder (10 masks, softmax over channels). The output is the sum of content_i
times attention_i for the 9 foreground masks plus the input times the background mask
(attention 10). The `geo` variant (large shape changes) makes 10 content images and
uses the 10th instead of the input.
"""

import keras
from keras import ops

from ugatit_tf.layers.normalization import InstanceNorm
from ugatit_tf.layers.padding import ReflectionPad2D
from ugatit_tf.models.attention_gan.scheme1 import output_dtype
from ugatit_tf.models.generator import _check_positive_int, build_by_running

FOREGROUND_MASKS = 9


def _normal():
    return keras.initializers.RandomNormal(0.0, 0.02)


def conv(filters, kernel_size, strides=1, name=None, dtype=None):
    """Valid-padded conv with bias, `init_net(..., 'normal', 0.02)`: N(0, 0.02), bias 0."""
    return keras.layers.Conv2D(filters, kernel_size, strides=strides, padding="valid",
                               kernel_initializer=_normal(), bias_initializer="zeros",
                               dtype=dtype, name=name)


@keras.saving.register_keras_serializable(package="ugatit_tf")
class ConvTranspose2x(keras.layers.Layer):
    """`nn.ConvTranspose2d(C, filters, 3, stride=2, padding=1, output_padding=1)`.

    PT keeps rows and columns 1 .. 2H of the full (2H + 1)-sized transposed conv;
    Keras' "same" keeps 0 .. 2H - 1, so the layer runs "valid" and crops the first
    row and column.

    Args:
        filters: output channels.

    Call arguments:
        inputs: `[N, H, W, C]`.

    Returns:
        `[N, 2H, 2W, filters]`.

    Reference: Ha0Tang/AttentionGAN `models/networks.py`, `ResnetGenerator_our.deconv*`.
    """

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        _check_positive_int("filters", filters)
        self.filters = filters
        self.transpose = keras.layers.Conv2DTranspose(
            filters, 3, strides=2, padding="valid", kernel_initializer=_normal(),
            bias_initializer="zeros", dtype=self.dtype_policy, name="conv")

    def build(self, input_shape):
        self.transpose.build(input_shape)

    @property
    def kernel(self):
        return self.transpose.kernel

    @property
    def bias(self):
        return self.transpose.bias

    def call(self, inputs):
        return self.transpose(inputs)[:, 1:, 1:, :]

    def compute_output_shape(self, input_shape):
        n, h, w, _ = input_shape
        double = lambda d: None if d is None else 2 * d
        return (n, double(h), double(w), self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


@keras.saving.register_keras_serializable(package="ugatit_tf")
class Scheme2ResnetBlock(keras.layers.Layer):
    """`x + IN(conv(pad(ReLU(IN(conv(pad(x)))))))`: reflection-padded 3x3 convs with
    biases, no ReLU after the sum.

    Args:
        filters: channels of the input and output.

    Call arguments:
        inputs: `[N, H, W, filters]`.

    Returns:
        `[N, H, W, filters]`.

    Reference: Ha0Tang/AttentionGAN `models/networks.py`, `resnet_block`.
    """

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        _check_positive_int("filters", filters)
        self.filters = filters
        dt = self.dtype_policy
        self.pad = ReflectionPad2D(1, dtype=dt, name="pad")
        self.conv1 = conv(filters, 3, name="conv1", dtype=dt)
        self.norm1 = InstanceNorm(dtype=dt, name="norm1")
        self.conv2 = conv(filters, 3, name="conv2", dtype=dt)
        self.norm2 = InstanceNorm(dtype=dt, name="norm2")

    def build(self, input_shape):
        padded = (input_shape[0], None, None, input_shape[-1])
        self.conv1.build(padded)
        self.conv2.build(padded)

    def call(self, inputs):
        x = ops.relu(self.norm1(self.conv1(self.pad(inputs))))
        return inputs + self.norm2(self.conv2(self.pad(x)))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


@keras.saving.register_keras_serializable(package="ugatit_tf")
class Scheme2Generator(keras.Model):
    """The scheme II generator: encoder, content decoder, attention decoder, composition.

    Args:
        base_filters: channels after the stem (`ngf`, official 64); the bottleneck has 4x.
        num_res_blocks: residual blocks (official 9: `define_G` hard-codes it).
        geo: the `AttentionGAN_geo` variant: 10 content images (30 channels), the output
            is their attention-weighted sum with no pass-through of the input.

    Call arguments:
        inputs: `[N, H, W, 3]` images in [-1, 1], H and W multiples of 4.

    Returns:
        `(image [N, H, W, 3], attention [N, H, W, 10], content [N, H, W, 27 or 30])`:
        the composed output, the softmax masks (foreground 1..9, background last) and the
        tanh content images in order; float32 under mixed policies, else the compute dtype.

    Reference: Tang et al., TNNLS 2021, section III-B; Ha0Tang/AttentionGAN
    `models/networks.py`, `ResnetGenerator_our` (and `AttentionGAN_geo/networks.py`).
    """

    def __init__(self, base_filters=64, num_res_blocks=9, geo=False, **kwargs):
        super().__init__(**kwargs)
        _check_positive_int("base_filters", base_filters)
        _check_positive_int("num_res_blocks", num_res_blocks)
        if not isinstance(geo, bool):
            raise ValueError(f"geo must be a bool, got {geo!r}.")
        self.base_filters = base_filters
        self.num_res_blocks = num_res_blocks
        self.geo = geo
        self.content_images = FOREGROUND_MASKS + (1 if geo else 0)

        dt = self.dtype_policy
        f = base_filters
        relu = lambda name: keras.layers.ReLU(dtype=dt, name=name)
        self.encoder = [
            ReflectionPad2D(3, dtype=dt, name="stem_pad"),
            conv(f, 7, name="conv1", dtype=dt), InstanceNorm(dtype=dt, name="conv1_norm"),
            relu("conv1_relu"),
        ]
        for i, filters in ((2, 2 * f), (3, 4 * f)):
            self.encoder += [
                keras.layers.ZeroPadding2D(1, dtype=dt, name=f"conv{i}_pad"),
                conv(filters, 3, strides=2, name=f"conv{i}", dtype=dt),
                InstanceNorm(dtype=dt, name=f"conv{i}_norm"), relu(f"conv{i}_relu"),
            ]
        self.encoder += [Scheme2ResnetBlock(4 * f, dtype=dt, name=f"resnet_blocks_{i}")
                         for i in range(num_res_blocks)]

        def up(branch):
            layers = []
            for k, filters in ((1, 2 * f), (2, f)):
                layers += [ConvTranspose2x(filters, dtype=dt, name=f"deconv{k}_{branch}"),
                           InstanceNorm(dtype=dt, name=f"deconv{k}_norm_{branch}"),
                           relu(f"deconv{k}_relu_{branch}")]
            return layers

        self.content_decoder = up("content") + [
            ReflectionPad2D(3, dtype=dt, name="deconv3_pad_content"),
            conv(3 * self.content_images, 7, name="deconv3_content", dtype=dt),
        ]
        self.attention_decoder = up("attention") + [
            conv(FOREGROUND_MASKS + 1, 1, name="deconv3_attention", dtype=dt),
        ]

    @staticmethod
    def _check_input_shape(shape):
        for d in shape[1:3]:
            if d is not None and (d % 4 or d < 8):
                raise ValueError(
                    f"The scheme II generator takes heights and widths that are multiples "
                    f"of 4, at least 8; got {shape[1]}x{shape[2]}. Resize or crop the input.")

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        build_by_running(self, (1, 16, 16, input_shape[-1]))

    def call(self, inputs):
        self._check_input_shape(inputs.shape)
        x = inputs
        for layer in self.encoder:
            x = layer(x)
        content, attention = x, x
        for layer in self.content_decoder:
            content = layer(content)
        for layer in self.attention_decoder:
            attention = layer(attention)
        dtype = output_dtype(self.compute_dtype)
        content = ops.tanh(ops.cast(content, dtype))
        attention = ops.softmax(ops.cast(attention, dtype), axis=-1)
        return compose(inputs, content, attention, self.geo), attention, content

    def compute_output_spec(self, inputs):
        dtype = output_dtype(self.compute_dtype)
        return tuple(keras.KerasTensor(s, dtype=dtype)
                     for s in self.compute_output_shape(inputs.shape))

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        n, h, w, _ = input_shape
        return ((n, h, w, 3), (n, h, w, FOREGROUND_MASKS + 1),
                (n, h, w, 3 * self.content_images))

    def get_config(self):
        return {**super().get_config(), "base_filters": self.base_filters,
                "num_res_blocks": self.num_res_blocks, "geo": self.geo}


def compose(inputs, content, attention, geo=False):
    """`sum_i content_i * attention_i (i = 1..9) + background * attention_10`, where the
    background is the input, or content image 10 in the `geo` variant.

    Args:
        inputs: `[N, H, W, 3]`.
        content: `[N, H, W, 27]` (`[N, H, W, 30]` if geo), image i in channels 3i-3..3i-1.
        attention: `[N, H, W, 10]`, the softmax masks.
    """
    background = content[..., 3 * FOREGROUND_MASKS:] if geo else ops.cast(inputs, content.dtype)
    out = content[..., :3] * attention[..., :1]
    for i in range(1, FOREGROUND_MASKS):  # PT's summation order
        out = out + content[..., 3 * i:3 * i + 3] * attention[..., i:i + 1]
    return out + background * attention[..., FOREGROUND_MASKS:]
