"""junyanz's `NLayerDiscriminator`: the PatchGAN (70x70 at 3 layers)."""

import keras
from keras import ops

from ugatit_tf.layers import InstanceNorm, LeakyReLU
from ugatit_tf.layers.arguments import check_positive_int
from ugatit_tf.layers.cyclegan_blocks import biased_conv2d
from ugatit_tf.models.building import (
    build_by_running,
    check_discriminator_input,
    output_dtype,
    output_spec,
    smallest_side,
)


def logit_map_size(image_size, num_layers):
    """Side of the logit map for square inputs, or 0 if the input is too small."""
    size = image_size
    for _ in range(num_layers):  # zero-pad 1, 4x4 conv, stride 2
        size = (size + 2 - 4) // 2 + 1
        if size < 1:
            return 0
    for _ in range(2):  # zero-pad 1, 4x4 conv, stride 1: the last conv and the head
        size -= 1
        if size < 1:
            return 0
    return size


def min_image_size(num_layers):
    """Smallest input side a discriminator with `num_layers` layers accepts."""
    return smallest_side(logit_map_size, num_layers)


@keras.saving.register_keras_serializable(package="ugatit_tf")
class PatchGANDiscriminator(keras.Model):
    """`num_layers` zero-padded 4x4 stride-2 convs (channels doubling up to 8x, instance
    norm on all but the first), one 4x4 stride-1 conv, LeakyReLU(0.2) after each, and a
    4x4 stride-1 conv to a one-channel logit map (no sigmoid: LSGAN). Every conv has a
    bias; weights N(0, 0.02), biases 0. At 3 layers each logit sees 70x70 pixels.

    Args:
        base_filters: channels of the first conv (`ndf`).
        num_layers: the official `n_layers_D` (3).

    Call arguments:
        inputs: `[N, H, W, 3]` images in [-1, 1].

    Returns:
        `[N, h, w, 1]` logits, h = H/8 - 2 at 3 layers: float32 under mixed policies,
        else the compute dtype.

    Reference: Zhu et al. 2017, appendix 7.2; Isola et al. 2017; pytorch-CycleGAN-and-
    pix2pix `models/networks.py`, `NLayerDiscriminator(norm_layer=InstanceNorm2d)`.
    """

    def __init__(self, base_filters=64, num_layers=3, **kwargs):
        super().__init__(**kwargs)
        check_positive_int("base_filters", base_filters)
        check_positive_int("num_layers", num_layers)
        self.base_filters = base_filters
        self.num_layers = num_layers

        dt = self.dtype_policy
        self.features = []
        # conv1 stride 2 without norm, conv2..conv{n} stride 2, conv{n+1} stride 1
        for i in range(1, num_layers + 2):
            filters = base_filters * min(2 ** (i - 1), 8)
            self.features += [
                keras.layers.ZeroPadding2D(1, dtype=dt, name=f"conv{i}_pad"),
                biased_conv2d(filters, 4, strides=2 if i <= num_layers else 1,
                              name=f"conv{i}", dtype=dt),
            ]
            if i > 1:
                self.features.append(InstanceNorm(dtype=dt, name=f"conv{i}_norm"))
            self.features.append(LeakyReLU(0.2, dtype=dt, name=f"conv{i}_lrelu"))
        self.features += [
            keras.layers.ZeroPadding2D(1, dtype=dt, name="head_pad"),
            biased_conv2d(1, 4, name="head", dtype=dt),
        ]

    def _check_input_shape(self, shape):
        check_discriminator_input(self, logit_map_size, shape)

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        side = min_image_size(self.num_layers)  # the weights do not depend on the size
        build_by_running(self, (1, side, side, input_shape[-1]))

    def call(self, inputs):
        self._check_input_shape(inputs.shape)
        x = inputs
        for layer in self.features:
            x = layer(x)
        return ops.cast(x, output_dtype(self.compute_dtype))

    def compute_output_spec(self, inputs):
        return output_spec(self.compute_output_shape(inputs.shape), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        n, h, w, _ = input_shape
        size = lambda d: None if d is None else logit_map_size(d, self.num_layers)
        return (n, size(h), size(w), 1)

    def get_config(self):
        return {**super().get_config(), "base_filters": self.base_filters,
                "num_layers": self.num_layers}
