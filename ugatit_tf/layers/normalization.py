"""Instance norm, LIN and AdaLIN as the official PyTorch U-GAT-IT computes them.

Statistics are taken in the wider of float32 and the layer's compute dtype
(`precision.statistics_dtype`), and the layers cast back to the compute dtype at the end.
"""

import keras
from keras import ops

from ugatit_tf.layers.constraints import ClipValue
from ugatit_tf.layers.precision import statistics_dtype


def normalize(x, axes, epsilon, unbiased, dtype="float32"):
    """Returns `(x - mean) / sqrt(var + epsilon)` over `axes`, computed in `dtype`.

    `unbiased` divides the variance by n - 1 (torch.var's default, used by PT's AdaLIN
    and LIN); otherwise by n (torch's InstanceNorm2d).

    Division by `sqrt` rather than a multiplication by `rsqrt` is deliberate: TF's CPU
    rsqrt is an approximation whose error, amplified in the backward pass, moved
    full-mode decoder gradients by ~1% away from PT's (see tests/test_golden.py).
    """
    x = ops.cast(x, dtype)
    centered = x - ops.mean(x, axis=axes, keepdims=True)
    count = 1
    for axis in axes:
        count = count * ops.shape(x)[axis]
    count = ops.cast(count, dtype)
    squares = ops.sum(ops.square(centered), axis=axes, keepdims=True)
    variance = squares / (count - 1.0 if unbiased else count)
    return centered / ops.sqrt(variance + epsilon)


def _check_epsilon(epsilon):
    if epsilon <= 0:
        raise ValueError(f"epsilon must be positive, got {epsilon}.")


@keras.saving.register_keras_serializable(package="ugatit_tf")
class InstanceNorm(keras.layers.Layer):
    """Non-affine instance normalisation with the biased variance (`nn.InstanceNorm2d`).

    Args:
        epsilon: added to the variance.

    Call arguments:
        inputs: `[N, H, W, C]`.

    Returns:
        The normalised tensor, same shape, in the compute dtype.

    Reference: UGATIT-pytorch `networks.py`, `nn.InstanceNorm2d` in `ResnetGenerator`.
    """

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        _check_epsilon(epsilon)
        self.epsilon = epsilon

    def call(self, inputs):
        out = normalize(inputs, (1, 2), self.epsilon, unbiased=False,
                        dtype=statistics_dtype(self.compute_dtype))
        return ops.cast(out, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


def _mix(inputs, rho, epsilon, dtype):
    """rho * instance-normalised + (1 - rho) * layer-normalised, in `dtype`."""
    instance = normalize(inputs, (1, 2), epsilon, unbiased=True, dtype=dtype)
    layer = normalize(inputs, (1, 2, 3), epsilon, unbiased=True, dtype=dtype)
    rho = ops.cast(rho, dtype)
    return rho * instance + (1.0 - rho) * layer


class _RhoMixin(keras.layers.Layer):
    """Owns the per-channel mixing weight rho, kept in [0, 1] by a constraint."""

    def __init__(self, epsilon, rho_init, **kwargs):
        # Inputs and variables are read as stored and cast by hand, so autocast is off,
        # for the layer (inputs, an outer scope) and for each variable: a mixed-policy
        # layer called outside a model still opens a compute-dtype autocast scope.
        super().__init__(autocast=False, **kwargs)
        _check_epsilon(epsilon)
        if not 0.0 <= rho_init <= 1.0:
            raise ValueError(f"rho_init must be in [0, 1], got {rho_init}.")
        self.epsilon = epsilon
        self.rho_init = rho_init

    def _add_rho(self, channels):
        self.rho = self.add_weight(
            name="rho",
            shape=(channels,),
            initializer=keras.initializers.Constant(self.rho_init),
            constraint=ClipValue(0.0, 1.0),
            autocast=False,
        )

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "rho_init": self.rho_init}


@keras.saving.register_keras_serializable(package="ugatit_tf")
class AdaLIN(_RhoMixin):
    """Adaptive Layer-Instance Normalisation (U-GAT-IT, Eq. 1).

    `(rho * a_I + (1 - rho) * a_L) * gamma + beta` with gamma and beta given per sample.
    Variances are unbiased, as in the official PyTorch code.

    Args:
        epsilon: added to the variances.
        rho_init: initial rho (the official code uses 0.9).

    Call arguments:
        inputs: `[N, H, W, C]` activations.
        gamma, beta: `[N, C]` from the generator's MLP.

    Returns:
        `[N, H, W, C]` in the compute dtype.

    Reference: Kim et al. 2020, section 2.1.1; UGATIT-pytorch `networks.py`, `adaILN`.
    """

    def __init__(self, epsilon=1e-5, rho_init=0.9, **kwargs):
        super().__init__(epsilon, rho_init, **kwargs)

    def build(self, input_shape):
        self._add_rho(input_shape[-1])

    def call(self, inputs, gamma, beta):
        dtype = statistics_dtype(self.compute_dtype)
        out = _mix(inputs, self.rho, self.epsilon, dtype)
        gamma = ops.cast(gamma, dtype)[:, None, None, :]
        beta = ops.cast(beta, dtype)[:, None, None, :]
        return ops.cast(out * gamma + beta, self.compute_dtype)

    def compute_output_shape(self, inputs_shape, gamma_shape=None, beta_shape=None):
        # Keras matches these names to the call arguments: `<argument>_shape`.
        return inputs_shape


@keras.saving.register_keras_serializable(package="ugatit_tf")
class LIN(_RhoMixin):
    """Layer-Instance Normalisation with learned per-channel gamma and beta.

    Args:
        epsilon: added to the variances.
        rho_init: initial rho (the official code uses 0.0).

    Call arguments:
        inputs: `[N, H, W, C]`.

    Returns:
        `[N, H, W, C]` in the compute dtype.

    Reference: Kim et al. 2020, section 2.1.1; UGATIT-pytorch `networks.py`, `ILN`.
    """

    def __init__(self, epsilon=1e-5, rho_init=0.0, **kwargs):
        super().__init__(epsilon, rho_init, **kwargs)

    def build(self, input_shape):
        channels = input_shape[-1]
        self._add_rho(channels)
        self.gamma = self.add_weight(
            name="gamma", shape=(channels,), initializer="ones", autocast=False)
        self.beta = self.add_weight(
            name="beta", shape=(channels,), initializer="zeros", autocast=False)

    def call(self, inputs):
        dtype = statistics_dtype(self.compute_dtype)
        out = (_mix(inputs, self.rho, self.epsilon, dtype) * ops.cast(self.gamma, dtype)
               + ops.cast(self.beta, dtype))
        return ops.cast(out, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape
