"""The generator's residual blocks: plain (encoder) and AdaLIN or an ablation's
normalisation (decoder)."""

import keras
from keras import ops

from ugatit_tf.layers.normalization import (
    ADAPTIVE_NORMS,
    InstanceNorm,
    check_decoder_norm,
    decoder_normalization,
)
from ugatit_tf.layers.padding import ReflectionPad2D
from ugatit_tf.layers.spectral_norm import pytorch_uniform
from ugatit_tf.layers.windows_matmul import WindowsConv2D


def conv2d(filters, kernel_size, strides=1, fan_in=None, name=None, dtype=None):
    """A bias-free, valid-padded conv initialised like PT's `nn.Conv2d` (a windows
    matmul inside `windows_matmul.convs_as_matmul`)."""
    fan_in = fan_in if fan_in is not None else filters
    return WindowsConv2D(
        filters, kernel_size, strides=strides, padding="valid", use_bias=False,
        kernel_initializer=pytorch_uniform(fan_in * kernel_size * kernel_size),
        dtype=dtype, name=name)


def _check_filters(filters):
    if not isinstance(filters, int) or filters < 1:
        raise ValueError(f"filters must be a positive int, got {filters!r}.")


class _ResidualBlock(keras.layers.Layer):
    """`x + norm2(conv2(pad(ReLU(norm1(conv1(pad(x)))))))`, 3x3 convs without bias.

    Subclasses set `norm_class` or pass `make_norm(name)`; extra call arguments are passed
    to both norms.
    """

    norm_class = None

    def __init__(self, filters, make_norm=None, **kwargs):
        super().__init__(**kwargs)
        _check_filters(filters)
        self.filters = filters
        if make_norm is None:
            make_norm = lambda name: self.norm_class(dtype=self.dtype_policy, name=name)
        self.pad = ReflectionPad2D(1, dtype=self.dtype_policy, name="pad")
        self.conv1 = conv2d(filters, 3, name="conv1", dtype=self.dtype_policy)
        self.norm1 = make_norm("norm1")
        self.conv2 = conv2d(filters, 3, name="conv2", dtype=self.dtype_policy)
        self.norm2 = make_norm("norm2")

    def build(self, input_shape):
        padded = (input_shape[0], None, None, input_shape[-1])
        self.conv1.build(padded)
        self.conv2.build(padded)
        self.norm1.build(input_shape)
        self.norm2.build(input_shape)

    def _residual(self, inputs, *norm_args):
        x = ops.relu(self.norm1(self.conv1(self.pad(inputs)), *norm_args))
        x = self.norm2(self.conv2(self.pad(x)), *norm_args)
        return inputs + x

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


@keras.saving.register_keras_serializable(package="ugatit_tf")
class ResnetBlock(_ResidualBlock):
    """`x + IN(conv(ReLU(IN(conv(x)))))` with reflection-padded 3x3 convs, no biases.

    Args:
        filters: channels of the input and output.

    Call arguments:
        inputs: `[N, H, W, filters]`.

    Returns:
        `[N, H, W, filters]`.

    Reference: UGATIT-pytorch `networks.py`, `ResnetBlock(use_bias=False)`.
    """

    norm_class = InstanceNorm

    def call(self, inputs):
        return self._residual(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="ugatit_tf")
class ResnetDecoderBlock(_ResidualBlock):
    """`x + norm(conv(ReLU(norm(conv(x)))))` with a decoder normalisation of the ablation.

    The official block is `norm="adalin"` (`ResnetAdaLINBlock`). Adaptive norms ("adalin",
    "adain") take the MLP's gamma and beta; the others ("instance", "layer", "group") take
    none (`normalization.decoder_normalization` says what each is).

    Args:
        filters: channels of the input and output.
        norm: one of `normalization.DECODER_NORMS`.

    Call arguments:
        inputs: `[N, H, W, filters]`.
        gamma, beta: `[N, filters]` for adaptive norms; None (left out) for the others.

    Returns:
        `[N, H, W, filters]`.

    Reference: UGATIT-pytorch `networks.py`, `ResnetAdaILNBlock`; Kim et al. 2020,
    Table 1 (ablation).
    """

    def __init__(self, filters, norm="adalin", **kwargs):
        check_decoder_norm(norm)
        _check_filters(filters)
        super().__init__(filters, make_norm=lambda name: decoder_normalization(
            norm, filters, "residual", dtype=self.dtype_policy, name=name), **kwargs)
        self.norm = norm

    @property
    def adaptive(self):
        """Whether the norms take the MLP's gamma and beta."""
        return self.norm in ADAPTIVE_NORMS

    def call(self, inputs, gamma=None, beta=None):
        if self.adaptive != (gamma is not None and beta is not None):
            raise ValueError(
                f"ResnetDecoderBlock(norm={self.norm!r}) "
                f"{'needs' if self.adaptive else 'takes no'} gamma and beta.")
        return self._residual(inputs, *((gamma, beta) if self.adaptive else ()))

    def compute_output_shape(self, inputs_shape, gamma_shape=None, beta_shape=None):
        # Keras matches these names to the call arguments: `<argument>_shape`.
        return inputs_shape

    def get_config(self):
        return {**super().get_config(), "norm": self.norm}


@keras.saving.register_keras_serializable(package="ugatit_tf")
class ResnetAdaLINBlock(ResnetDecoderBlock):
    """`x + AdaLIN(conv(ReLU(AdaLIN(conv(x)))))`; gamma and beta come from the MLP.

    Args:
        filters: channels of the input and output.

    Call arguments:
        inputs: `[N, H, W, filters]`.
        gamma, beta: `[N, filters]`.

    Returns:
        `[N, H, W, filters]`.

    Reference: UGATIT-pytorch `networks.py`, `ResnetAdaILNBlock`.
    """

    def __init__(self, filters, **kwargs):
        super().__init__(filters, norm="adalin", **kwargs)

    def call(self, inputs, gamma, beta):
        return super().call(inputs, gamma, beta)

    def get_config(self):
        config = super().get_config()
        del config["norm"]
        return config
