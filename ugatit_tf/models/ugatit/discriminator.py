"""The U-GAT-IT discriminator (`Discriminator` of the official PyTorch code)."""

import keras
from keras import ops

from ugatit_tf.layers import CAMAttention, LeakyReLU, ReflectionPad2D, SpectralNormConv2D
from ugatit_tf.layers.arguments import check_bool, check_positive_int
from ugatit_tf.layers.precision import statistics_dtype
from ugatit_tf.models.building import (
    build_by_running,
    check_discriminator_input,
    output_specs,
    smallest_side,
)


def logit_map_size(image_size, num_layers):
    """Side of the logit map for square inputs, or 0 if the input is too small."""
    size = image_size
    for _ in range(num_layers - 2):  # reflect-pad 1, 4x4 conv, stride 2
        if size < 2:
            return 0
        size //= 2
    for _ in range(2):  # reflect-pad 1, 4x4 conv, stride 1: the last conv and the head
        if size < 2:
            return 0
        size -= 1
    return size


def min_image_size(num_layers):
    """Smallest input side a discriminator with `num_layers` layers accepts."""
    return smallest_side(logit_map_size, num_layers)


@keras.saving.register_keras_serializable(package="ugatit_tf")
class UGATITDiscriminator(keras.Model):
    """PatchGAN-style discriminator with spectral norm and CAM attention.

    `num_layers - 2` reflection-padded 4x4 stride-2 convs, one 4x4 stride-1 conv, CAM
    attention, and a 4x4 stride-1 conv to a one-channel logit map. All convs but CAM's
    1x1 are spectrally normalised; all but the last have a bias. The official global
    discriminator has 7 layers (receptive field 286), the local one 5 (70).

    `use_cam=False` is the paper's ablation without the discriminator's CAM (Table 1):
    no CAM block, the last feature conv feeds the head directly, and the call returns
    None for `cam_logit` and `heatmap`.

    Args:
        base_filters: channels of the first conv (`ndf`/`ch`), doubled by each further conv.
        num_layers: depth as in the official code's `n_layers`.
        use_cam: with the CAM attention block (the official model).

    Call arguments:
        inputs: `[N, H, W, 3]` images in [-1, 1].
        training: run and store a spectral-norm power iteration.
        batch_groups: in training calls, the batch is this many equal parts (real and
            fake images), each treated as its own PT call: one power-iteration round
            and sigma per part (`SpectralNormConv2D`). Same outputs as that many calls.

    Returns:
        `(logit_map [N, h, w, 1], cam_logit [N, 2], heatmap [N, h + 1, w + 1, 1])`,
        float32 (float64 under the float64 policy); `cam_logit` and `heatmap` are None
        without CAM.

    Reference: Kim et al. 2020, section 2.2 and appendix; UGATIT-pytorch `networks.py`.
    """

    def __init__(self, base_filters=64, num_layers=7, use_cam=True, **kwargs):
        super().__init__(**kwargs)
        check_positive_int("base_filters", base_filters)
        check_positive_int("num_layers", num_layers, minimum=3)
        check_bool("use_cam", use_cam)
        self.base_filters = base_filters
        self.num_layers = num_layers
        self.use_cam = use_cam

        dt = self.dtype_policy
        self.features = []
        strides = [2] * (num_layers - 2) + [1]
        for i, stride in enumerate(strides, start=1):
            self.features += [
                ReflectionPad2D(1, dtype=dt, name=f"conv{i}_pad"),
                SpectralNormConv2D(base_filters * 2 ** (i - 1), 4, strides=stride,
                                   dtype=dt, name=f"conv{i}"),
                LeakyReLU(0.2, dtype=dt, name=f"conv{i}_lrelu"),
            ]
        self.cam = (CAMAttention(spectral_norm=True, negative_slope=0.2, dtype=dt, name="cam")
                    if use_cam else None)
        self.head_pad = ReflectionPad2D(1, dtype=dt, name="head_pad")
        self.head = SpectralNormConv2D(1, 4, use_bias=False, dtype=dt, name="head")

    def _check_input_shape(self, shape):
        check_discriminator_input(self, logit_map_size, shape)

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        side = min_image_size(self.num_layers)  # the weights do not depend on the size
        build_by_running(self, (1, side, side, input_shape[-1]))

    def call(self, inputs, training=False, batch_groups=1):
        self._check_input_shape(inputs.shape)
        x = inputs
        sn = {"training": training, "batch_groups": batch_groups}
        for layer in self.features:
            x = layer(x, **sn) if isinstance(layer, SpectralNormConv2D) else layer(x)
        cam_logit = heatmap = None
        if self.cam is not None:
            x, cam_logit, heatmap = self.cam(x, **sn)
        logits = self.head(self.head_pad(x), **sn)
        out = statistics_dtype(self.compute_dtype)
        return tuple(None if t is None else ops.cast(t, out)
                     for t in (logits, cam_logit, heatmap))

    def compute_output_spec(self, inputs, training=False):
        # The outputs are float32 under mixed policies (Keras would say compute dtype).
        return output_specs(self.compute_output_shape(inputs.shape), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        n, h, w, _ = input_shape
        size = lambda d: None if d is None else logit_map_size(d, self.num_layers)
        grow = lambda d: None if d is None else d + 1
        if not self.use_cam:
            return (n, size(h), size(w), 1), None, None
        return (n, size(h), size(w), 1), (n, 2), (n, grow(size(h)), grow(size(w)), 1)

    def get_config(self):
        return {
            **super().get_config(),
            "base_filters": self.base_filters,
            "num_layers": self.num_layers,
            "use_cam": self.use_cam,
        }
