"""The generator's residual blocks: plain (encoder) and AdaLIN (decoder)."""

import keras
from keras import ops

from ugatit_tf.layers.normalization import AdaLIN, InstanceNorm
from ugatit_tf.layers.padding import ReflectionPad2D
from ugatit_tf.layers.spectral_norm import pytorch_uniform


def conv2d(filters, kernel_size, strides=1, fan_in=None, name=None, dtype=None):
    """A bias-free, valid-padded conv initialised like PT's `nn.Conv2d`."""
    fan_in = fan_in if fan_in is not None else filters
    return keras.layers.Conv2D(
        filters, kernel_size, strides=strides, padding="valid", use_bias=False,
        kernel_initializer=pytorch_uniform(fan_in * kernel_size * kernel_size),
        dtype=dtype, name=name)


def _check_filters(filters):
    if not isinstance(filters, int) or filters < 1:
        raise ValueError(f"filters must be a positive int, got {filters!r}.")


class _ResidualBlock(keras.layers.Layer):
    """`x + norm2(conv2(pad(ReLU(norm1(conv1(pad(x)))))))`, 3x3 convs without bias.

    Subclasses set `norm_class`; extra call arguments are passed to both norms.
    """

    norm_class = None

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        _check_filters(filters)
        self.filters = filters
        self.pad = ReflectionPad2D(1, dtype=self.dtype_policy, name="pad")
        self.conv1 = conv2d(filters, 3, name="conv1", dtype=self.dtype_policy)
        self.norm1 = self.norm_class(dtype=self.dtype_policy, name="norm1")
        self.conv2 = conv2d(filters, 3, name="conv2", dtype=self.dtype_policy)
        self.norm2 = self.norm_class(dtype=self.dtype_policy, name="norm2")

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
class ResnetAdaLINBlock(_ResidualBlock):
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

    norm_class = AdaLIN

    def call(self, inputs, gamma, beta):
        return self._residual(inputs, gamma, beta)

    def compute_output_shape(self, inputs_shape, gamma_shape=None, beta_shape=None):
        # Keras matches these names to the call arguments: `<argument>_shape`.
        return inputs_shape
