"""The U-GAT-IT generator (`ResnetGenerator` of the official PyTorch code)."""

import keras
from keras import ops

from ugatit_tf.layers import (
    CAMAttention,
    InstanceNorm,
    ReflectionPad2D,
    ResnetBlock,
    ResnetDecoderBlock,
    UpsampleConv2D,
)
from ugatit_tf.layers.arguments import check_bool, check_positive_int
from ugatit_tf.layers.normalization import (
    ADAPTIVE_NORMS,
    check_decoder_norm,
    decoder_normalization,
)
from ugatit_tf.layers.precision import statistics_dtype
from ugatit_tf.layers.resnet_blocks import conv2d
from ugatit_tf.layers.spectral_norm import pytorch_uniform
from ugatit_tf.models.building import build_by_running, output_specs


@keras.saving.register_keras_serializable(package="ugatit_tf")
class UGATITGenerator(keras.Model):
    """Encoder, CAM attention, AdaLIN decoder.

    Full mode feeds the whole flattened encoder map to the MLP that predicts AdaLIN's
    gamma and beta, so its first Dense has (image_size/4)^2 * 4F * 4F weights and the
    network takes only `image_size` inputs. Light mode global-average-pools first and
    takes any height and width that are multiples of 4.

    The paper's ablations (Table 1) are options: `decoder_norm` replaces AdaLIN in the
    residual blocks and LIN in the up-sampling blocks (see
    `normalization.decoder_normalization`); with a norm that takes no gamma and beta
    ("instance", "layer", "group") the MLP is left out, weights and all. `use_cam=False`
    leaves out the CAM block (its classifiers and 1x1 conv): the encoder features go
    straight to the decoder, and the call returns None for `cam_logit` and `heatmap`.

    Args:
        base_filters: channels after the stem (`ngf`/`ch`); the bottleneck has 4x.
        num_res_blocks: residual blocks in the encoder and in the decoder.
        image_size: input height and width; fixed in full mode, nominal in light mode.
        light: the light variant (pooled MLP input).
        out_channels: channels of the output image.
        decoder_norm: one of `normalization.DECODER_NORMS`; "adalin" is the official model.
        use_cam: with the CAM attention block (the official model).

    Call arguments:
        inputs: `[N, H, W, 3]` images in [-1, 1].
        return_mlp_io: also return the input and output of the MLP's first Dense,
            `(inputs, outputs)`, for `ugatit_tf.gradients.stacked_dense_gradients`.

    Returns:
        `(image [N, H, W, out_channels] in [-1, 1], cam_logit [N, 2],
        heatmap [N, H/4, W/4, 1])`, float32 (float64 under the float64 policy), and the
        MLP pair if asked for. Without CAM, `cam_logit` and `heatmap` are None; without
        an MLP, so is the MLP pair.

    Reference: Kim et al. 2020, section 2.1 and appendix; UGATIT-pytorch `networks.py`.
    """

    def __init__(self, base_filters=64, num_res_blocks=4, image_size=256, light=False,
                 out_channels=3, decoder_norm="adalin", use_cam=True, **kwargs):
        super().__init__(**kwargs)
        check_decoder_norm(decoder_norm)
        check_bool("use_cam", use_cam)
        check_positive_int("base_filters", base_filters)
        check_positive_int("num_res_blocks", num_res_blocks)
        check_positive_int("out_channels", out_channels)
        check_positive_int("image_size", image_size, minimum=8)
        if image_size % 4:
            raise ValueError(
                f"image_size must be a multiple of 4 (the generator downsamples twice), "
                f"got {image_size}; use {image_size - image_size % 4} or "
                f"{image_size + 4 - image_size % 4}.")
        self.base_filters = base_filters
        self.num_res_blocks = num_res_blocks
        self.image_size = image_size
        self.light = light
        self.out_channels = out_channels
        self.decoder_norm = decoder_norm
        self.use_cam = use_cam

        dt = self.dtype_policy
        f = base_filters
        bottleneck = 4 * f
        self.encoder = [
            ReflectionPad2D(3, dtype=dt, name="stem_pad"),
            conv2d(f, 7, fan_in=3, dtype=dt, name="stem_conv"),
            InstanceNorm(dtype=dt, name="stem_norm"),
            keras.layers.ReLU(dtype=dt, name="stem_relu"),
        ]
        for i, filters in enumerate((2 * f, 4 * f), start=1):
            self.encoder += [
                ReflectionPad2D(1, dtype=dt, name=f"down{i}_pad"),
                conv2d(filters, 3, strides=2, fan_in=filters // 2, dtype=dt,
                       name=f"down{i}_conv"),
                InstanceNorm(dtype=dt, name=f"down{i}_norm"),
                keras.layers.ReLU(dtype=dt, name=f"down{i}_relu"),
            ]
        self.encoder += [ResnetBlock(bottleneck, dtype=dt, name=f"encoder_block{i}")
                         for i in range(1, num_res_blocks + 1)]
        self.cam = CAMAttention(dtype=dt, name="cam") if use_cam else None

        self.mlp, self.gamma_fc, self.beta_fc = [], None, None
        if decoder_norm in ADAPTIVE_NORMS:
            mlp_in = bottleneck if light else (image_size // 4) ** 2 * bottleneck
            dense = lambda name, fan_in: keras.layers.Dense(
                bottleneck, use_bias=False, kernel_initializer=pytorch_uniform(fan_in),
                dtype=dt, name=name)
            self.mlp = [dense("mlp_dense1", mlp_in), dense("mlp_dense2", bottleneck)]
            self.gamma_fc = dense("gamma", bottleneck)
            self.beta_fc = dense("beta", bottleneck)

        self.decoder_blocks = [
            ResnetDecoderBlock(bottleneck, norm=decoder_norm, dtype=dt, name=f"decoder_block{i}")
            for i in range(1, num_res_blocks + 1)]
        self.decoder = []
        for i, filters in enumerate((2 * f, f), start=1):
            self.decoder += [
                # The initializer is made here, as for the other convs: unseeded Keras
                # initializers draw their seed when made, so this order fixes the init.
                UpsampleConv2D(filters, kernel_initializer=pytorch_uniform(9 * 2 * filters),
                               dtype=dt, name=f"up{i}_conv"),
                decoder_normalization(decoder_norm, filters, "upsampling", dtype=dt,
                                      name=f"up{i}_norm"),
                keras.layers.ReLU(dtype=dt, name=f"up{i}_relu"),
            ]
        self.decoder += [
            ReflectionPad2D(3, dtype=dt, name="head_pad"),
            conv2d(out_channels, 7, fan_in=f, dtype=dt, name="head_conv"),
        ]

    def _check_input_shape(self, shape):
        height, width = shape[1], shape[2]
        if self.light:
            for d in (height, width):
                # >= 8: the bottleneck (side / 4) must be reflection-padded by 1.
                if d is not None and (d % 4 or d < 8):
                    raise ValueError(
                        f"The light generator takes heights and widths that are multiples "
                        f"of 4, at least 8; got {height}x{width}. Resize or crop the input.")
        elif (height, width) != (self.image_size, self.image_size) and None not in (
                height, width):
            raise ValueError(
                f"The full generator was built for {self.image_size}x{self.image_size} "
                f"inputs (its MLP flattens the whole feature map); got {height}x{width}. "
                f"Resize the input, build with image_size={height}, or use light=True.")

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        # Light-mode weights do not depend on the input size: build on a small one.
        side = self.image_size if not self.light else 16
        build_by_running(self, (1, side, side, input_shape[-1]))

    def call(self, inputs, return_mlp_io=False):
        self._check_input_shape(inputs.shape)
        x = inputs
        for layer in self.encoder:
            x = layer(x)
        cam_logit = heatmap = None
        if self.cam is not None:
            x, cam_logit, heatmap = self.cam(x)

        gamma_beta, mlp_io = (), None
        if self.mlp:
            if self.light:
                h = ops.mean(x, axis=(1, 2))
            else:
                h = ops.reshape(x, (ops.shape(x)[0], -1))
            mlp_io = (h, self.mlp[0](h))
            h = ops.relu(mlp_io[1])
            for layer in self.mlp[1:]:
                h = ops.relu(layer(h))
            gamma_beta = (self.gamma_fc(h), self.beta_fc(h))

        for block in self.decoder_blocks:
            x = block(x, *gamma_beta)
        for layer in self.decoder:
            x = layer(x)
        out = statistics_dtype(self.compute_dtype)
        image = ops.tanh(ops.cast(x, out))
        cast = lambda t: None if t is None else ops.cast(t, out)
        outputs = (image, cast(cam_logit), cast(heatmap))
        return (*outputs, mlp_io) if return_mlp_io else outputs

    def compute_output_spec(self, inputs):
        # The outputs are float32 under mixed policies (Keras would say compute dtype).
        return output_specs(self.compute_output_shape(inputs.shape), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        n, h, w, _ = input_shape
        quarter = lambda d: None if d is None else d // 4
        if not self.use_cam:
            return (n, h, w, self.out_channels), None, None
        return (n, h, w, self.out_channels), (n, 2), (n, quarter(h), quarter(w), 1)

    def get_config(self):
        return {
            **super().get_config(),
            "base_filters": self.base_filters,
            "num_res_blocks": self.num_res_blocks,
            "image_size": self.image_size,
            "light": self.light,
            "out_channels": self.out_channels,
            "decoder_norm": self.decoder_norm,
            "use_cam": self.use_cam,
        }
