"""AttentionGAN scheme II (TNNLS 2021): `ResnetGenerator_our`.

A shared encoder, a content decoder (9 RGB content images, tanh) and a separate
attention decoder (10 masks, softmax over channels). The output is the sum of content_i
times attention_i for the 9 foreground masks plus the input times the background mask
(attention 10). The `geo` variant (large shape changes) makes 10 content images and
uses the 10th instead of the input.
"""

import keras
from keras import ops

from ugatit_tf.layers.arguments import check_positive_int
from ugatit_tf.models.building import build_by_running, output_dtype, output_specs
from ugatit_tf.models.cyclegan.generator import (
    check_image_shape,
    decoder_layers,
    encoder_layers,
)

FOREGROUND_MASKS = 9


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
        check_positive_int("base_filters", base_filters)
        check_positive_int("num_res_blocks", num_res_blocks)
        if not isinstance(geo, bool):
            raise ValueError(f"geo must be a bool, got {geo!r}.")
        self.base_filters = base_filters
        self.num_res_blocks = num_res_blocks
        self.geo = geo
        self.content_images = FOREGROUND_MASKS + (1 if geo else 0)

        dt = self.dtype_policy
        # The encoder and both decoders are CycleGAN's: the content head is its 7x7 conv
        # to 3 x content_images channels, the attention head a 1x1 conv to 10.
        self.encoder = encoder_layers(base_filters, num_res_blocks, dtype=dt)
        self.content_decoder = decoder_layers(base_filters, 3 * self.content_images,
                                              dtype=dt, prefix="content_")
        self.attention_decoder = decoder_layers(base_filters, FOREGROUND_MASKS + 1, dtype=dt,
                                                prefix="attention_", head_kernel_size=1)

    def _check_input_shape(self, shape):
        check_image_shape(type(self).__name__, shape)

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        build_by_running(self, (1, 8, 8, input_shape[-1]))  # weights do not depend on size

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
        return output_specs(self.compute_output_shape(inputs.shape), self.compute_dtype)

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
