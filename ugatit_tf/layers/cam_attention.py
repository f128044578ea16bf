"""Class Activation Map attention, the "CAM" of U-GAT-IT."""

import keras
from keras import ops

from ugatit_tf.layers.activations import leaky_relu
from ugatit_tf.layers.spectral_norm import SpectralNormDense, pytorch_uniform


@keras.saving.register_keras_serializable(package="ugatit_tf")
class CAMAttention(keras.layers.Layer):
    """Auxiliary-classifier attention over the channels of a feature map.

    Global average and global max pooling each feed a one-unit linear classifier (no
    bias), giving the two CAM logits. Their kernels re-weight the channels of the feature
    map; the two re-weighted maps are concatenated and mixed back to C channels by a 1x1
    conv with bias, then activated. The heatmap is the channel sum of the result.

    The concat + 1x1 conv is computed as one C x C matmul with the re-weighting folded
    into the kernel: `concat(x * w_gap, x * w_gmp) @ K == x @ (w_gap * K_1 + w_gmp * K_2)`.
    That is the same function (and gradient) with half the memory traffic.

    Args:
        spectral_norm: use spectrally normalised classifiers (the discriminator's). As in
            the official code the logits use the normalised kernels but the channel
            re-weighting uses the raw ones.
        negative_slope: slope of the activation for negative inputs: 0 for the
            generator's ReLU, 0.2 for the discriminator's LeakyReLU.

    Call arguments:
        inputs: `[N, H, W, C]`.
        training: passed to the spectrally normalised classifiers.
        batch_groups: passed to the spectrally normalised classifiers (which give each
            of that many equal parts of the batch its own sigma); 1 without them.

    Returns:
        `(features [N, H, W, C], cam_logit [N, 2], heatmap [N, H, W, 1])`.

    Reference: Kim et al. 2020, section 2.1.1; UGATIT-pytorch `networks.py`, the
    `gap_fc`, `gmp_fc` and `conv1x1` of `ResnetGenerator` and `Discriminator`.
    """

    def __init__(self, spectral_norm=False, negative_slope=0.0, **kwargs):
        super().__init__(autocast=False, **kwargs)
        if not 0.0 <= negative_slope < 1.0:
            raise ValueError(f"negative_slope must be in [0, 1), got {negative_slope}.")
        self.spectral_norm = spectral_norm
        self.negative_slope = negative_slope

    def build(self, input_shape):
        channels = input_shape[-1]
        if self.spectral_norm:
            make = lambda name: SpectralNormDense(1, dtype=self.dtype_policy, name=name)
        else:
            make = lambda name: keras.layers.Dense(
                1, use_bias=False, kernel_initializer=pytorch_uniform(channels),
                dtype=self.dtype_policy, name=name)
        self.gap_fc = make("gap_fc")
        self.gmp_fc = make("gmp_fc")
        self.gap_fc.build((None, channels))
        self.gmp_fc.build((None, channels))
        init = pytorch_uniform(2 * channels)
        self.conv1x1_kernel = self.add_weight(
            name="conv1x1_kernel", shape=(2 * channels, channels), initializer=init,
            autocast=False)
        self.conv1x1_bias = self.add_weight(
            name="conv1x1_bias", shape=(channels,), initializer=init, autocast=False)

    def call(self, inputs, training=False, batch_groups=1):
        x = ops.cast(inputs, self.compute_dtype)
        kwargs = {"training": training}
        if self.spectral_norm:
            kwargs["batch_groups"] = batch_groups
        elif batch_groups != 1:
            raise ValueError("batch_groups needs spectral_norm=True: plain classifiers "
                             "are the same for every part of the batch.")
        gap_logit = self.gap_fc(ops.mean(x, axis=(1, 2)), **kwargs)
        gmp_logit = self.gmp_fc(ops.max(x, axis=(1, 2)), **kwargs)
        cam_logit = ops.concatenate([gap_logit, gmp_logit], axis=-1)

        x = ops.matmul(x, ops.cast(self.mixing_kernel(), self.compute_dtype))
        x = x + ops.cast(self.conv1x1_bias, self.compute_dtype)
        x = leaky_relu(x, self.negative_slope) if self.negative_slope else ops.relu(x)
        return x, cam_logit, ops.sum(x, axis=-1, keepdims=True)

    def mixing_kernel(self):
        """The `[C, C]` kernel of the re-weighting, concat and 1x1 conv,
        `w_gap * K_1 + w_gmp * K_2`, in the kernels' dtype."""
        # A sum over a [2, C, C] view of the kernel: its gradient is then one
        # kernel-sized tensor, not one zero-padded slice per half.
        channels = self.conv1x1_kernel.shape[-1]
        kernel = ops.reshape(ops.convert_to_tensor(self.conv1x1_kernel), (2, channels, channels))
        scales = ops.reshape(ops.concatenate([ops.convert_to_tensor(self.gap_fc.kernel),
                                              ops.convert_to_tensor(self.gmp_fc.kernel)]),
                             (2, channels, 1))
        return ops.sum(kernel * ops.cast(scales, kernel.dtype), axis=0)

    def compute_output_shape(self, input_shape):
        n, h, w, _ = input_shape
        return input_shape, (n, 2), (n, h, w, 1)

    def get_config(self):
        return {
            **super().get_config(),
            "spectral_norm": self.spectral_norm,
            "negative_slope": self.negative_slope,
        }
