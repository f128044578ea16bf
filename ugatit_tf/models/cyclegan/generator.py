"""junyanz's `ResnetGenerator`, split into an encoder and a decoder builder so that other
families (AttentionGAN scheme II: the same encoder, its own decoders) can reuse them."""

import keras
from keras import ops

from ugatit_tf.layers import CycleGANResnetBlock, InstanceNorm, ReflectionPad2D
from ugatit_tf.layers.arguments import check_positive_int
from ugatit_tf.layers.cyclegan_blocks import TorchConvTranspose2D, biased_conv2d
from ugatit_tf.models.building import build_by_running, output_dtype, output_spec


def encoder_layers(base_filters, num_res_blocks, dtype=None):
    """Stem, two down-samplings and the residual blocks: `[N, H, W, 3]` ->
    `[N, H/4, W/4, 4 base_filters]`.

    Layer names: `stem_conv`, `down{1,2}_conv`, `block{1..num_res_blocks}` (the official
    `model.1`, `model.{4,7}`, `model.{10..9+NB}`).
    """
    f = base_filters
    layers = [
        ReflectionPad2D(3, dtype=dtype, name="stem_pad"),
        biased_conv2d(f, 7, name="stem_conv", dtype=dtype),
        InstanceNorm(dtype=dtype, name="stem_norm"),
        keras.layers.ReLU(dtype=dtype, name="stem_relu"),
    ]
    for i, filters in enumerate((2 * f, 4 * f), start=1):
        layers += [
            # PT pads the stride-2 convs by 1 on every side; Keras' "same" would pad
            # only the bottom and right of an even input.
            keras.layers.ZeroPadding2D(1, dtype=dtype, name=f"down{i}_pad"),
            biased_conv2d(filters, 3, strides=2, name=f"down{i}_conv", dtype=dtype),
            InstanceNorm(dtype=dtype, name=f"down{i}_norm"),
            keras.layers.ReLU(dtype=dtype, name=f"down{i}_relu"),
        ]
    layers += [CycleGANResnetBlock(4 * f, dtype=dtype, name=f"block{i}")
               for i in range(1, num_res_blocks + 1)]
    return layers


def decoder_layers(base_filters, out_channels, dtype=None, prefix="", head_kernel_size=7):
    """Two transposed-conv up-samplings (IN, ReLU) and the head conv, without the final
    activation: `[N, h, w, 4 base_filters]` -> `[N, 4h, 4w, out_channels]`.

    Layer names: `{prefix}up{1,2}_conv`, `{prefix}head_conv` (the official
    `model.{10+NB,13+NB}`, `model.{17+NB}`). The head is reflection-padded by
    `(head_kernel_size - 1) // 2` (3 for the official 7x7, none for a 1x1).
    """
    f = base_filters
    layers = []
    for i, filters in enumerate((2 * f, f), start=1):
        layers += [
            TorchConvTranspose2D(filters, 3, strides=2, padding=1, output_padding=1,
                                 dtype=dtype, name=f"{prefix}up{i}_conv"),
            InstanceNorm(dtype=dtype, name=f"{prefix}up{i}_norm"),
            keras.layers.ReLU(dtype=dtype, name=f"{prefix}up{i}_relu"),
        ]
    pad = (head_kernel_size - 1) // 2
    if pad:
        layers.append(ReflectionPad2D(pad, dtype=dtype, name=f"{prefix}head_pad"))
    layers.append(biased_conv2d(out_channels, head_kernel_size, name=f"{prefix}head_conv",
                                dtype=dtype))
    return layers


def check_image_shape(cls_name, shape):
    """Heights and widths must be multiples of 4 (two stride-2 convs, then two x2
    up-samplings give the input size back) and at least 8 (the residual blocks
    reflection-pad the H/4 map by 1)."""
    for d in (shape[1], shape[2]):
        if d is not None and (d % 4 or d < 8):
            raise ValueError(
                f"{cls_name} takes heights and widths that are multiples of 4, at least 8; "
                f"got {shape[1]}x{shape[2]}. Resize or crop the input.")


@keras.saving.register_keras_serializable(package="ugatit_tf")
class ResnetGenerator(keras.Model):
    """The CycleGAN generator: reflection-padded 7x7 stem, two stride-2 3x3 convs,
    `num_res_blocks` residual blocks, two transposed-conv up-samplings, 7x7 conv, tanh.
    Instance norms are non-affine; every conv has a bias; weights N(0, 0.02), biases 0.

    Args:
        base_filters: channels after the stem (`ngf`); the bottleneck has 4x.
        num_res_blocks: residual blocks (`n_blocks`: 9 at 256 px, 6 at 128 px).
        out_channels: channels of the output image.

    Call arguments:
        inputs: `[N, H, W, 3]` images in [-1, 1], H and W multiples of 4, at least 8.

    Returns:
        `[N, H, W, out_channels]` in [-1, 1]: float32 under mixed policies, else the
        compute dtype.

    Reference: Zhu et al. 2017, appendix 7.2; pytorch-CycleGAN-and-pix2pix
    `models/networks.py`, `ResnetGenerator(norm_layer=InstanceNorm2d, use_dropout=False)`.
    """

    def __init__(self, base_filters=64, num_res_blocks=9, out_channels=3, **kwargs):
        super().__init__(**kwargs)
        check_positive_int("base_filters", base_filters)
        check_positive_int("num_res_blocks", num_res_blocks)
        check_positive_int("out_channels", out_channels)
        self.base_filters = base_filters
        self.num_res_blocks = num_res_blocks
        self.out_channels = out_channels
        self.encoder = encoder_layers(base_filters, num_res_blocks, dtype=self.dtype_policy)
        self.decoder = decoder_layers(base_filters, out_channels, dtype=self.dtype_policy)

    def build(self, input_shape):
        check_image_shape(type(self).__name__, input_shape)
        build_by_running(self, (1, 8, 8, input_shape[-1]))  # weights do not depend on size

    def call(self, inputs):
        check_image_shape(type(self).__name__, inputs.shape)
        x = inputs
        for layer in self.encoder + self.decoder:
            x = layer(x)
        return ops.tanh(ops.cast(x, output_dtype(self.compute_dtype)))

    def compute_output_spec(self, inputs):
        return output_spec(self.compute_output_shape(inputs.shape), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        check_image_shape(type(self).__name__, input_shape)
        return (*input_shape[:3], self.out_channels)

    def get_config(self):
        return {
            **super().get_config(),
            "base_filters": self.base_filters,
            "num_res_blocks": self.num_res_blocks,
            "out_channels": self.out_channels,
        }
