"""AttentionGAN scheme I (IJCNN 2019): one 4-channel generator and its discriminator.

The generator's first output channel is the attention mask (sigmoid), the other three
the content (no activation); `result = content * att + input * (1 - att)`.
"""

import keras
from keras import ops

from ugatit_tf.layers.activations import LeakyReLU
from ugatit_tf.layers.arguments import check_positive_int
from ugatit_tf.layers.batch_norm import BatchNorm
from ugatit_tf.layers.normalization import InstanceNorm
from ugatit_tf.layers.padding import ReflectionPad2D
from ugatit_tf.layers.pixel_shuffle import PixelShuffle
from ugatit_tf.layers.spectral_norm import pytorch_uniform
from ugatit_tf.models.building import build_by_running, output_dtype, output_spec, output_specs

NORMS = ("batch", "instance")


def _check_norm(norm):
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}.")


def conv(filters, kernel_size, fan_in, strides=1, name=None, dtype=None):
    """A valid-padded conv with bias: weights N(0, 0.02) (`weights_init_normal`), bias
    PyTorch's default U(+-1/sqrt(fan_in k^2)), which the official init keeps."""
    return keras.layers.Conv2D(
        filters, kernel_size, strides=strides, padding="valid", use_bias=True,
        kernel_initializer=keras.initializers.RandomNormal(0.0, 0.02),
        bias_initializer=pytorch_uniform(fan_in * kernel_size * kernel_size),
        dtype=dtype, name=name)


def norm_layer(norm, name, dtype):
    """`nn.BatchNorm2d` (scale N(1, 0.02), as `weights_init_normal`) or the non-affine
    `nn.InstanceNorm2d`."""
    if norm == "batch":
        return BatchNorm(gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02),
                         dtype=dtype, name=name)
    return InstanceNorm(dtype=dtype, name=name)


def apply(layers, x, training):
    for layer in layers:
        x = layer(x, training=training) if isinstance(layer, BatchNorm) else layer(x)
    return x


@keras.saving.register_keras_serializable(package="ugatit_tf")
class Scheme1ResnetBlock(keras.layers.Layer):
    """`x + norm(conv(pad(ReLU(norm(conv(pad(x)))))))`, reflection-padded 3x3 convs with
    biases, no ReLU after the sum.

    Args:
        filters: channels of the input and output.
        norm: "batch" (the official default) or "instance".

    Call arguments:
        inputs: `[N, H, W, filters]`.
        training: batch statistics for BatchNorm.

    Returns:
        `[N, H, W, filters]`.

    Reference: AttentionGAN-v1 `models.py`, `ResnetBlock.conv_block`.
    """

    def __init__(self, filters, norm="batch", **kwargs):
        super().__init__(**kwargs)
        check_positive_int("filters", filters)
        _check_norm(norm)
        self.filters = filters
        self.norm = norm
        dt = self.dtype_policy
        self.residual = [
            ReflectionPad2D(1, dtype=dt, name="pad1"),
            conv(filters, 3, filters, name="conv1", dtype=dt),
            norm_layer(norm, "norm1", dt),
            keras.layers.ReLU(dtype=dt, name="relu"),
            ReflectionPad2D(1, dtype=dt, name="pad2"),
            conv(filters, 3, filters, name="conv2", dtype=dt),
            norm_layer(norm, "norm2", dt),
        ]

    def build(self, input_shape):
        shape = tuple(input_shape)
        for layer in self.residual:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)

    def call(self, inputs, training=False):
        return inputs + apply(self.residual, inputs, training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "norm": self.norm}


@keras.saving.register_keras_serializable(package="ugatit_tf")
class Scheme1Generator(keras.Model):
    """Encoder, residual blocks, two PixelShuffle up-sampling stages, a 4-channel head.

    Args:
        base_filters: channels after the stem (`ngf`, official 64); the bottleneck has 4x.
        num_res_blocks: residual blocks (official default 6, what `train.py` uses).
        norm: "batch" (official) or "instance".

    Call arguments:
        inputs: `[N, H, W, 3]` images in [-1, 1], H and W multiples of 4.
        training: BatchNorm uses batch statistics (and updates its running ones).

    Returns:
        `(result [N, H, W, 3], attention [N, H, W, 1] in (0, 1), content [N, H, W, 3])`:
        float32 under mixed policies, else the compute dtype.

    Reference: Tang et al., IJCNN 2019, section III; AttentionGAN-v1 `models.py`,
    `Generator` (4 output channels, PixelShuffle up-sampling).
    """

    def __init__(self, base_filters=64, num_res_blocks=6, norm="batch", **kwargs):
        super().__init__(**kwargs)
        check_positive_int("base_filters", base_filters)
        check_positive_int("num_res_blocks", num_res_blocks)
        _check_norm(norm)
        self.base_filters = base_filters
        self.num_res_blocks = num_res_blocks
        self.norm = norm

        dt = self.dtype_policy
        f = base_filters
        self.body = [
            ReflectionPad2D(3, dtype=dt, name="stem_pad"),
            conv(f, 7, 3, name="stem_conv", dtype=dt),
            norm_layer(norm, "stem_norm", dt),
            keras.layers.ReLU(dtype=dt, name="stem_relu"),
        ]
        for i, filters in enumerate((2 * f, 4 * f), start=1):
            self.body += [
                keras.layers.ZeroPadding2D(1, dtype=dt, name=f"down{i}_pad"),
                conv(filters, 3, filters // 2, strides=2, name=f"down{i}_conv", dtype=dt),
                norm_layer(norm, f"down{i}_norm", dt),
                keras.layers.ReLU(dtype=dt, name=f"down{i}_relu"),
            ]
        self.body += [Scheme1ResnetBlock(4 * f, norm, dtype=dt, name=f"block{i}")
                      for i in range(1, num_res_blocks + 1)]
        for i, channels in enumerate((4 * f, 2 * f), start=1):
            half = channels // 2
            self.body += [
                ReflectionPad2D(1, dtype=dt, name=f"up{i}_pad"),
                conv(half, 3, channels, name=f"up{i}_conv", dtype=dt),
                norm_layer(norm, f"up{i}_norm1", dt),
                keras.layers.ReLU(dtype=dt, name=f"up{i}_relu1"),
                conv(2 * channels, 1, half, name=f"up{i}_expand", dtype=dt),
                PixelShuffle(2, dtype=dt, name=f"up{i}_shuffle"),
                norm_layer(norm, f"up{i}_norm2", dt),
                keras.layers.ReLU(dtype=dt, name=f"up{i}_relu2"),
            ]
        self.body += [
            ReflectionPad2D(3, dtype=dt, name="head_pad"),
            conv(4, 7, f, name="head_conv", dtype=dt),
        ]

    @staticmethod
    def _check_input_shape(shape):
        for d in shape[1:3]:
            if d is not None and (d % 4 or d < 8):
                raise ValueError(
                    f"The scheme I generator takes heights and widths that are multiples of "
                    f"4, at least 8; got {shape[1]}x{shape[2]}. Resize or crop the input.")

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        build_by_running(self, (1, 16, 16, input_shape[-1]))

    def call(self, inputs, training=False):
        self._check_input_shape(inputs.shape)
        x = apply(self.body, inputs, training)
        dtype = output_dtype(self.compute_dtype)
        x = ops.cast(x, dtype)
        attention = ops.sigmoid(x[..., :1])
        content = x[..., 1:]
        result = content * attention + ops.cast(inputs, dtype) * (1.0 - attention)
        return result, attention, content

    def compute_output_spec(self, inputs, training=False):
        return output_specs(self.compute_output_shape(inputs.shape), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        n, h, w, _ = input_shape
        return (n, h, w, 3), (n, h, w, 1), (n, h, w, 3)

    def get_config(self):
        return {**super().get_config(), "base_filters": self.base_filters,
                "num_res_blocks": self.num_res_blocks, "norm": self.norm}


@keras.saving.register_keras_serializable(package="ugatit_tf")
class Scheme1Discriminator(keras.Model):
    """Four stride-2 4x4 convs (no padding) with BatchNorm and LeakyReLU(0.01), a 4x4
    conv, global average pooling and a 1x1 conv: one logit per image.

    The official class fixes the widths at 64/128/256/512/512; `base_filters` scales
    them (w, 2w, 4w, 8w, 8w), and its default is the official size.

    Args:
        base_filters: w, the first conv's channels (official 64).
        norm: "batch" (official) or "instance".

    Call arguments:
        inputs: `[N, H, W, 3]`, H and W at least 94 (the map after the stride-2 convs
            must hold the last 4x4 conv).
        training: BatchNorm uses batch statistics.

    Returns:
        `[N, 1, 1, 1]` logits: float32 under mixed policies, else the compute dtype.

    Reference: AttentionGAN-v1 `models.py`, `Discriminator.conv_tower`.
    """

    def __init__(self, base_filters=64, norm="batch", **kwargs):
        super().__init__(**kwargs)
        check_positive_int("base_filters", base_filters)
        _check_norm(norm)
        self.base_filters = base_filters
        self.norm = norm
        dt = self.dtype_policy
        w = base_filters
        self.body = []
        fan_in = 3
        for i, filters in enumerate((w, 2 * w, 4 * w, 8 * w), start=1):
            self.body += [
                conv(filters, 4, fan_in, strides=2, name=f"conv{i}", dtype=dt),
                norm_layer(norm, f"norm{i}", dt),
                LeakyReLU(0.01, dtype=dt, name=f"lrelu{i}"),
            ]
            fan_in = filters
        self.body += [
            conv(8 * w, 4, 8 * w, name="conv5", dtype=dt),
            LeakyReLU(0.01, dtype=dt, name="lrelu5"),
        ]
        self.head = conv(1, 1, 8 * w, name="head", dtype=dt)

    @staticmethod
    def _check_input_shape(shape):
        side = lambda d: (d - 4) // 2 + 1
        for d in shape[1:3]:
            if d is None:
                continue
            s = d
            for _ in range(4):
                s = side(s)
            if s < 4:
                raise ValueError(
                    f"The scheme I discriminator needs heights and widths of at least 94 "
                    f"(four unpadded stride-2 4x4 convs, then a 4x4 conv); got "
                    f"{shape[1]}x{shape[2]}.")

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        build_by_running(self, (1, 94, 94, input_shape[-1]))

    def call(self, inputs, training=False):
        self._check_input_shape(inputs.shape)
        x = apply(self.body, inputs, training)
        x = self.head(ops.mean(x, axis=(1, 2), keepdims=True))
        return ops.cast(x, output_dtype(self.compute_dtype))

    def compute_output_spec(self, inputs, training=False):
        return output_spec(self.compute_output_shape(inputs.shape), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        return (input_shape[0], 1, 1, 1)

    def get_config(self):
        return {**super().get_config(), "base_filters": self.base_filters, "norm": self.norm}
