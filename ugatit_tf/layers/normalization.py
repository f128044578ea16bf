"""Instance norm, LIN and AdaLIN as the official PyTorch U-GAT-IT computes them, and the
decoder normalisations of the paper's ablation (AdaIN, group/layer/instance norm), made by
one factory, `decoder_normalization`.

Statistics are taken in the wider of float32 and the layer's compute dtype
(`precision.statistics_dtype`), and the layers cast back to the compute dtype at the end.
LIN and AdaLIN take both their statistics in one pass, with one gradient
(`layer_instance_norm`).
"""

import keras
import tensorflow as tf
from keras import ops

from ugatit_tf.layers.arguments import check_bool
from ugatit_tf.layers.constraints import ClipValue
from ugatit_tf.layers.precision import accurate_sum, internal_dtype, statistics_dtype
from ugatit_tf.layers.switches import TraceSwitch


def normalize(x, axes, epsilon, unbiased, compute_dtype="float32"):
    """Returns `(x - mean) / sqrt(var + epsilon)` over `axes`, in the statistics dtype
    of `compute_dtype` (`precision.statistics_dtype`).

    `unbiased` divides the variance by n - 1 (torch.var's default, used by PT's AdaLIN
    and LIN); otherwise by n (torch's InstanceNorm2d).

    Float32 models compute it in float64 and round once, forward and backward
    (the gradient is written here, and keeps only the float32 result and the standard
    deviations): TF's float32 reductions and the two roundings of (x - mean) / std left
    the decoder's gradients up to 38x further from the float64 values than PyTorch's
    float32 ones (tests/test_golden.py). XLA fuses the casts into the kernels; mixed
    precision (float32 statistics of bfloat16 activations) computes in float32.
    Division by `sqrt`, not multiplication by `rsqrt`: TF's CPU rsqrt is approximate.
    """
    dtype = statistics_dtype(compute_dtype)
    wide = internal_dtype(compute_dtype)
    x = ops.cast(x, dtype)
    count = 1
    for axis in axes:
        count = count * ops.shape(x)[axis]
    count = ops.cast(count, wide)
    divisor = count - 1.0 if unbiased else count

    @tf.custom_gradient
    def forward(x):
        x_wide = ops.cast(x, wide)
        centered = x_wide - ops.sum(x_wide, axis=axes, keepdims=True) / count
        std = ops.sqrt(ops.sum(ops.square(centered), axis=axes, keepdims=True) / divisor
                       + epsilon)
        out = ops.cast(centered / std, dtype)

        def grad(d_out):
            # d/dx of c / s, c = x - mean(x), s = sqrt(sum(c^2) / divisor + eps), in terms
            # of y = c / s: (d_out - mean(d_out) - y * sum(d_out * y) / divisor) / s
            d_out, y = ops.cast(d_out, wide), ops.cast(out, wide)
            d_mean = ops.sum(d_out, axis=axes, keepdims=True) / count
            d_scale = ops.sum(d_out * y, axis=axes, keepdims=True) / divisor
            return ops.cast((d_out - d_mean - y * d_scale) / std, dtype)

        return out, grad

    return forward(x)


def affine_mix(instance, layer, rho, gamma, beta, affine_axes):
    """`(rho * instance + (1 - rho) * layer) * gamma + beta`, with `accurate_sum`
    parameter gradients.

    Args:
        instance, layer: `[N, H, W, C]` normalised features.
        rho: `[1, 1, 1, C]`; gamma, beta: `[N, 1, 1, C]` (AdaLIN) or `[1, 1, 1, C]` (LIN),
            all in the features' dtype.
        affine_axes: the axes gamma and beta are broadcast over.
    """

    @tf.custom_gradient
    def forward(instance, layer, rho, gamma, beta):
        difference = instance - layer
        mixed = rho * difference + layer

        def grad(d_out):
            d_mixed = d_out * gamma
            return (d_mixed * rho, d_mixed * (1.0 - rho),
                    accurate_sum(d_mixed * difference, (0, 1, 2)),
                    accurate_sum(d_out * mixed, affine_axes),
                    accurate_sum(d_out, affine_axes))

        return mixed * gamma + beta, grad

    return forward(instance, layer, rho, gamma, beta)


def _as_map(t, dtype):
    """A `[C]` or `[N, C]` parameter as a `[1 or N, 1, 1, C]` map in `dtype`."""
    return ops.reshape(ops.cast(t, dtype), (-1, 1, 1, t.shape[-1]))


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
                        compute_dtype=self.compute_dtype)
        return ops.cast(out, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


def layer_instance_norm(x, rho, gamma, beta, epsilon, compute_dtype, affine_axes):
    """`(rho * x_I + (1 - rho) * x_L) * gamma + beta` in one pass of statistics, with one
    gradient: LIN and AdaLIN with the unbiased variances of the official code.

    Forward, per sample and channel: the mean m_c and the centred square sum
    q_c = sum_hw (x - m_c)^2 (two full-size reductions); the layer statistics follow from
    them exactly (Chan et al.'s pairwise combination), with reductions over the channels
    only: m_L = mean_c m_c, sum_hwc (x - m_L)^2 = sum_c [q_c + HW (m_c - m_L)^2].

    Backward, from two sibling full-size sums per sample and channel, S0 = sum_hw(g) and
    S1 = sum_hw(g * x_I) of the output gradient g: since x_L = (s_c x_I + m_c - m_L) / s_L,
    sum_hw(g * x_L) = (s_c S1 + (m_c - m_L) S0) / s_L, and the input gradient is the
    instance-norm backward of g * gamma * rho plus the layer-norm backward of
    g * gamma * (1 - rho), both written with these sums. The composition of `normalize`
    twice and `affine_mix` takes 4 full-size reductions forward and 7 backward; XLA
    fuses few of them, since each waits for the one before.

    Arithmetic as in `normalize`: in `precision.internal_dtype(compute_dtype)`, rounded
    once to the statistics dtype, dividing by `sqrt` (not multiplying by `rsqrt`); the
    backward recomputes x_I from x rather than keeping a full-size wide tensor.
    `fused_layer_instance_norm(False)` traces the composition instead (to time one
    against the other).

    Args:
        x: `[N, H, W, C]`.
        rho: `[1, 1, 1, C]`; gamma, beta: `[N, 1, 1, C]` (AdaLIN) or `[1, 1, 1, C]`
            (LIN), all in the statistics dtype of `compute_dtype`.
        epsilon: added to both variances.
        compute_dtype: the layer's compute dtype.
        affine_axes: the axes gamma and beta are broadcast over: (1, 2) or (0, 1, 2).

    Returns:
        `[N, H, W, C]` in the statistics dtype.
    """
    if tuple(affine_axes) not in ((1, 2), (0, 1, 2)):
        raise ValueError(f"affine_axes must be (1, 2) or (0, 1, 2), got {affine_axes}.")
    dtype = statistics_dtype(compute_dtype)
    wide = internal_dtype(compute_dtype)
    x = ops.cast(x, dtype)
    shape = ops.shape(x)
    positions = ops.cast(shape[1] * shape[2], wide)
    elements = positions * x.shape[-1]
    spatial = (1, 2)
    # The per-sample sums as the gradients of gamma and beta (summed over the batch for LIN).
    per_parameter = ((lambda t: ops.sum(t, axis=0, keepdims=True)) if 0 in affine_axes
                     else (lambda t: t))

    @tf.custom_gradient
    def forward(x, rho, gamma, beta):
        x_wide = ops.cast(x, wide)
        rho, gamma, beta = (ops.cast(t, wide) for t in (rho, gamma, beta))
        mean_c = ops.sum(x_wide, axis=spatial, keepdims=True) / positions
        centered = x_wide - mean_c
        square_c = ops.sum(ops.square(centered), axis=spatial, keepdims=True)
        std_c = ops.sqrt(square_c / (positions - 1.0) + epsilon)
        mean_l = ops.mean(mean_c, axis=3, keepdims=True)
        offset = mean_c - mean_l
        square_l = ops.sum(square_c + positions * ops.square(offset), axis=3, keepdims=True)
        std_l = ops.sqrt(square_l / (elements - 1.0) + epsilon)
        instance = centered / std_c
        layer = (x_wide - mean_l) / std_l
        out = ops.cast((rho * (instance - layer) + layer) * gamma + beta, dtype)

        def grad(d_out):
            d_out = ops.cast(d_out, wide)
            x_wide = ops.cast(x, wide)
            instance = (x_wide - mean_c) / std_c
            s0 = ops.sum(d_out, axis=spatial, keepdims=True)
            s1 = ops.sum(d_out * instance, axis=spatial, keepdims=True)
            s1_layer = (std_c * s1 + offset * s0) / std_l  # sum_hw(d_out * x_L)
            # sum_hw(d_out * (x_I - x_L)), without the cancellation of s1 - s1_layer
            s1_difference = ((std_l - std_c) * s1 - offset * s0) / std_l
            d_beta = per_parameter(s0)
            d_gamma = per_parameter(rho * s1 + (1.0 - rho) * s1_layer)
            d_rho = ops.sum(gamma * s1_difference, axis=0, keepdims=True)
            # The instance- and layer-norm backward of d_out * gamma * rho and of
            # d_out * gamma * (1 - rho): (g - mean(g) - y * sum(g * y) / (n - 1)) / s.
            g_instance, g_layer = gamma * rho, gamma * (1.0 - rho)
            d_instance = g_instance / std_c * (
                d_out - s0 / positions - instance * (s1 / (positions - 1.0)))
            layer_sum = ops.sum(g_layer * s0, axis=3, keepdims=True) / elements
            layer_scale = ops.sum(g_layer * s1_layer, axis=3, keepdims=True) / (elements - 1.0)
            layer = (x_wide - mean_l) / std_l
            d_layer = (g_layer * d_out - layer_sum - layer * layer_scale) / std_l
            return tuple(ops.cast(t, dtype) for t in (d_instance + d_layer, d_rho, d_gamma,
                                                      d_beta))

        return out, grad

    return forward(x, rho, gamma, beta)


# Whether LIN and AdaLIN trace `layer_instance_norm` (see `fused_layer_instance_norm`).
_FUSED_LIN = TraceSwitch(True)


def fused_layer_instance_norm(enabled):
    """LIN and AdaLIN traced inside use `layer_instance_norm` (True, the default) or the
    composition it replaces (False): instance and layer statistics by `normalize` each,
    mixed by `affine_mix`. The two compute the same function; the composition is kept so
    that a benchmark can time both in one process (`bench/gpu_bench.py`'s `linunfused`
    variant) and the tests can check one against the other."""
    return _FUSED_LIN.set(bool(enabled))


def _lin(inputs, rho, gamma, beta, epsilon, compute_dtype, affine_axes):
    """(rho * instance-normalised + (1 - rho) * layer-normalised) * gamma + beta."""
    dtype = statistics_dtype(compute_dtype)
    rho, gamma, beta = (_as_map(t, dtype) for t in (rho, gamma, beta))
    if _FUSED_LIN.value:
        return layer_instance_norm(inputs, rho, gamma, beta, epsilon, compute_dtype,
                                   affine_axes)
    instance = normalize(inputs, (1, 2), epsilon, unbiased=True, compute_dtype=compute_dtype)
    layer = normalize(inputs, (1, 2, 3), epsilon, unbiased=True, compute_dtype=compute_dtype)
    return affine_mix(instance, layer, rho, gamma, beta, affine_axes)


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
        out = _lin(inputs, self.rho, gamma, beta, self.epsilon,
                   self.compute_dtype, affine_axes=(1, 2))
        return ops.cast(out, self.compute_dtype)

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
        out = _lin(inputs, self.rho, self.gamma, self.beta, self.epsilon,
                   self.compute_dtype, affine_axes=(0, 1, 2))
        return ops.cast(out, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape


def affine(x, gamma, beta, affine_axes):
    """`x * gamma + beta` with `accurate_sum` parameter gradients.

    Args:
        x: `[N, H, W, C]` normalised features.
        gamma, beta: `[N, 1, 1, C]` (adaptive) or `[1, 1, 1, C]` (learned), in x's dtype.
        affine_axes: the axes gamma and beta are broadcast over.
    """

    @tf.custom_gradient
    def forward(x, gamma, beta):
        def grad(d_out):
            return (d_out * gamma, accurate_sum(d_out * x, affine_axes),
                    accurate_sum(d_out, affine_axes))

        return x * gamma + beta, grad

    return forward(x, gamma, beta)


@keras.saving.register_keras_serializable(package="ugatit_tf")
class AdaIN(keras.layers.Layer):
    """Adaptive instance normalisation: `IN(x) * gamma + beta`, gamma and beta per sample.

    With `unbiased=True` it is AdaLIN with rho fixed at 1 (the instance branch of the
    official `adaILN`); with False the variance is divided by H * W, as `nn.InstanceNorm2d`
    (and MUNIT's AdaIN) have it.

    Args:
        epsilon: added to the variance.
        unbiased: divide the variance by H * W - 1 (torch.var's default).

    Call arguments:
        inputs: `[N, H, W, C]` activations.
        gamma, beta: `[N, C]` from the generator's MLP.

    Returns:
        `[N, H, W, C]` in the compute dtype.

    Reference: Huang & Belongie 2017, Eq. 8; Kim et al. 2020, Table 1 (ablation).
    """

    def __init__(self, epsilon=1e-5, unbiased=False, **kwargs):
        super().__init__(autocast=False, **kwargs)  # inputs cast by hand, as in AdaLIN
        _check_epsilon(epsilon)
        check_bool("unbiased", unbiased)
        self.epsilon = epsilon
        self.unbiased = unbiased

    def call(self, inputs, gamma, beta):
        dtype = statistics_dtype(self.compute_dtype)
        x = normalize(inputs, (1, 2), self.epsilon, self.unbiased, self.compute_dtype)
        out = affine(x, _as_map(gamma, dtype), _as_map(beta, dtype), affine_axes=(1, 2))
        return ops.cast(out, self.compute_dtype)

    def compute_output_shape(self, inputs_shape, gamma_shape=None, beta_shape=None):
        # Keras matches these names to the call arguments: `<argument>_shape`.
        return inputs_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "unbiased": self.unbiased}


@keras.saving.register_keras_serializable(package="ugatit_tf")
class GroupNorm(keras.layers.Layer):
    """Group normalisation: statistics per sample over H, W and each group of channels.

    `groups=C` is instance norm and `groups=1` layer norm over (H, W, C) (Wu & He 2018,
    Fig. 2), so this one layer gives the decoder's IN, LN and GN ablations.

    Args:
        groups: number of channel groups; must divide the input's channels.
        epsilon: added to the variance.
        unbiased: divide the variance by n - 1 (torch.var's default, as the official
            AdaLIN and LIN do); False divides by n (`nn.GroupNorm`).
        affine: learn a per-channel gamma (init 1) and beta (init 0), as `nn.GroupNorm`
            and the official LIN have.

    Call arguments:
        inputs: `[N, H, W, C]`.

    Returns:
        `[N, H, W, C]` in the compute dtype.

    Reference: Wu & He 2018, "Group Normalization", Eq. 1 and 3;
    Kim et al. 2020, Table 1 (ablation).
    """

    def __init__(self, groups, epsilon=1e-5, unbiased=False, affine=False, **kwargs):
        super().__init__(autocast=False, **kwargs)
        if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
            raise ValueError(f"groups must be a positive int, got {groups!r}.")
        _check_epsilon(epsilon)
        check_bool("unbiased", unbiased)
        check_bool("affine", affine)
        self.groups = groups
        self.epsilon = epsilon
        self.unbiased = unbiased
        self.affine = affine

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels % self.groups:
            raise ValueError(
                f"GroupNorm(groups={self.groups}) needs channels divisible by the groups, "
                f"got {channels} channels.")
        if self.affine:
            self.gamma = self.add_weight(
                name="gamma", shape=(channels,), initializer="ones", autocast=False)
            self.beta = self.add_weight(
                name="beta", shape=(channels,), initializer="zeros", autocast=False)

    def call(self, inputs):
        channels = inputs.shape[-1]
        if self.groups == channels:
            x = normalize(inputs, (1, 2), self.epsilon, self.unbiased, self.compute_dtype)
        elif self.groups == 1:
            x = normalize(inputs, (1, 2, 3), self.epsilon, self.unbiased, self.compute_dtype)
        else:
            shape = ops.shape(inputs)
            grouped = ops.reshape(
                inputs, (shape[0], shape[1], shape[2], self.groups, channels // self.groups))
            x = normalize(grouped, (1, 2, 4), self.epsilon, self.unbiased,
                          self.compute_dtype)
            x = ops.reshape(x, shape)
        if self.affine:
            dtype = statistics_dtype(self.compute_dtype)
            x = affine(x, _as_map(self.gamma, dtype), _as_map(self.beta, dtype),
                       affine_axes=(0, 1, 2))
        return ops.cast(x, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "epsilon": self.epsilon,
                "unbiased": self.unbiased, "affine": self.affine}


# The decoder normalisations of the paper's ablation (Kim et al. 2020, Table 1).
DECODER_NORMS = ("adalin", "instance", "layer", "adain", "group")
# Those that take the MLP's per-sample gamma and beta in the residual blocks.
ADAPTIVE_NORMS = ("adalin", "adain")
MAX_GROUPS = 32  # Wu & He 2018's default group count (section 4.1)


def check_decoder_norm(name):
    """Returns `name` if it is one of `DECODER_NORMS`; raises a ValueError otherwise."""
    if name not in DECODER_NORMS:
        raise ValueError(f"Unknown decoder_norm {name!r}: use one of {', '.join(DECODER_NORMS)}.")
    return name


def group_count(channels, max_groups=MAX_GROUPS):
    """The largest divisor of `channels` not above `max_groups`: Wu & He's 32 groups,
    fewer where 32 does not divide the channels (16 channels: 16 groups)."""
    return max(g for g in range(1, min(channels, max_groups) + 1) if channels % g == 0)


def decoder_normalization(kind, channels, part, dtype=None, name=None):
    """The normalisation layer `kind` (one of `DECODER_NORMS`) of one decoder part.

    `part="residual"`: the residual blocks, where the official model has AdaLIN with the
    MLP's gamma and beta. "adalin" and "adain" take them there (the layer is called as
    `norm(x, gamma, beta)`); "instance", "layer" and "group" are plain, without any
    affine part (called as `norm(x)`), and the generator then has no MLP.

    `part="upsampling"`: the up-sampling blocks, where the official model has LIN (not
    adaptive, a learned per-channel gamma and beta). "adalin" keeps LIN; every other kind
    is its statistics with the same learned per-channel gamma and beta ("adain", the
    adaptive IN, is learned-affine IN here: there is no MLP output of these widths).

    Every kind takes the variance as the official decoder does (torch.var, unbiased), so
    each differs from AdaLIN only in what the ablation changes: IN is AdaLIN with rho = 1,
    gamma = 1, beta = 0; LN the same with rho = 0; AdaIN is AdaLIN with rho = 1. GN has
    `group_count(channels)` groups.

    Args:
        kind: one of `DECODER_NORMS`.
        channels: the features' channels (for the group count).
        part: "residual" or "upsampling".
        dtype, name: passed to the layer.
    """
    check_decoder_norm(kind)
    if part not in ("residual", "upsampling"):
        raise ValueError(f"part must be 'residual' or 'upsampling', got {part!r}.")
    kwargs = dict(dtype=dtype, name=name)
    if kind == "adalin":
        return AdaLIN(**kwargs) if part == "residual" else LIN(**kwargs)
    if kind == "adain" and part == "residual":
        return AdaIN(unbiased=True, **kwargs)
    groups = {"instance": channels, "adain": channels, "layer": 1,
              "group": group_count(channels)}[kind]
    return GroupNorm(groups, unbiased=True, affine=part == "upsampling", **kwargs)
