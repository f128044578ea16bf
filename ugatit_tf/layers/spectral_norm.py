"""Spectrally normalised conv and dense layers with PyTorch's semantics.

Unlike `keras.layers.SpectralNormalization`, which overwrites the kernel with W / sigma
and passes no gradient through sigma, these layers keep the raw kernel W as the
trainable weight and use W / sigma(W) in the forward pass, so that the gradient flows
through sigma (`torch.nn.utils.spectral_norm`). sigma = u^T W v, with u and v from a
power iteration that runs in training calls only and is held constant for the gradient.

A training call with `batch_groups=R` stands for R successive PT calls on the R equal
parts of its batch (a discriminator's real and fake batches in one call): it runs R
power-iteration rounds, and part r is normalised by the r-th round's sigma, as PT's r-th
call would be. conv(x, W / sigma) == conv(x, W) / sigma, so the parts share one conv.

W is viewed as the matrix `[fan_in, out]` (the Keras kernel reshaped, rows in
kh, kw, in order); PT's `[out, in * kh * kw]` is its transpose with the columns
permuted, so sigma is the same and PT's `weight_v` maps onto `sn_v` by that permutation
(`ugatit_tf.convert.pytorch`).
"""

import math

import keras
import tensorflow as tf
from keras import ops

from ugatit_tf.layers.arguments import check_positive_int
from ugatit_tf.layers.precision import internal_dtype
from ugatit_tf.layers.switches import TraceSwitch
from ugatit_tf.layers.windows_matmul import device_type, patches, takes_matmul, valid_conv

_NORM_EPSILON = 1e-12  # torch.nn.functional.normalize's default
# `_conv_over_sigma` runs the conv as a matmul when the kernel has at least this many
# weights and the output at least this many channels per row of the windows matrix
# (batch x height x width rows). Measured on the discriminator's layers
# (bench/layer_bench.py): for 4x4x256x512 kernels and smaller either can be faster, by
# up to a third; for 4x4x512x1024 on 3x3 positions oneDNN's conv is 2.9x slower.
_MATMUL_MIN_KERNEL = 2**22
_MATMUL_CHANNELS_PER_ROW = 16
# The device types on which that matmul path is taken (`matmul_conv_devices`).
_MATMUL_DEVICES = TraceSwitch(("CPU", "GPU"))


def matmul_conv_devices(*device_types):
    """Spectral-norm convs traced inside may take the windows-matmul path on these
    device types; the default is ("CPU", "GPU"), where it was measured faster: on CPUs
    (bench/layer_bench.py) and on an H200, where cuDNN runs the global discriminator's
    conv on 7x7 positions with slow kernels (bench/RESULTS.md, fourth lease: the light
    step 36.1 against 37.2 ms, full 46.6 against 49.4 ms, with less memory).
    `bench/gpu_bench.py`'s `snconv` variant traces the step with
    `matmul_conv_devices("CPU")`, cuDNN's convolutions on GPUs, to time the two."""
    return _MATMUL_DEVICES.set(tuple(device_types))


def _l2_normalize(x):
    return x / ops.maximum(ops.sqrt(ops.sum(ops.square(x))), _NORM_EPSILON)


def _sigma(kernel, u, v):
    """sigma = u^T W v, the kernel viewed as the matrix `[fan_in, out]` = W^T."""
    return ops.sum(u * ops.matmul(v, ops.reshape(kernel, (-1, kernel.shape[-1]))))


@keras.saving.register_keras_serializable(package="ugatit_tf")
class UnitNormal(keras.initializers.Initializer):
    """A random normal vector scaled to unit L2 norm (PT's initial u and v)."""

    def __init__(self, seed=None):
        self.seed = seed

    def __call__(self, shape, dtype=None):
        x = keras.random.normal(shape, dtype=dtype, seed=self.seed)
        return _l2_normalize(x)

    def get_config(self):
        return {"seed": self.seed}


def pytorch_uniform(fan_in):
    """PT's default init for conv and linear weights and biases: U(+-1/sqrt(fan_in))."""
    limit = 1.0 / math.sqrt(fan_in)
    return keras.initializers.RandomUniform(-limit, limit)


class SpectralNormBase(keras.layers.Layer):
    """Owns a raw kernel plus the power-iteration state u, v; gives W / sigma."""

    def __init__(self, use_bias, power_iterations, **kwargs):
        # The kernel and the power iteration are read in float32: autocast is off and
        # the layers cast to the compute dtype themselves.
        super().__init__(autocast=False, **kwargs)
        if power_iterations < 1:
            raise ValueError(f"power_iterations must be >= 1, got {power_iterations}.")
        self.use_bias = use_bias
        self.power_iterations = power_iterations

    def _build_weights(self, kernel_shape):
        fan_in = math.prod(kernel_shape[:-1])
        units = kernel_shape[-1]
        # autocast=False: read in float32 even inside the compute-dtype autocast scope
        # that Keras opens for a mixed-policy layer called on its own.
        self.kernel = self.add_weight(
            name="kernel", shape=kernel_shape, initializer=pytorch_uniform(fan_in),
            autocast=False,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(units,), initializer=pytorch_uniform(fan_in),
                autocast=False,
            )
        # State written in `call`: under tf.distribute every replica computes the same
        # value, and the first replica's is kept.
        state = dict(trainable=False, initializer=UnitNormal(), autocast=False,
                     aggregation="only_first_replica")
        self.sn_u = self.add_weight(name="sn_u", shape=(units,), **state)
        self.sn_v = self.add_weight(name="sn_v", shape=(fan_in,), **state)

    @property
    def math_dtype(self):
        """The dtype the layer computes in: its compute dtype, except that a float32
        layer with one output unit computes in float64 (`precision.internal_dtype`).

        Such a layer's outputs (the discriminator's logit maps and CAM logits) are dot
        products whose terms cancel (their magnitudes add up to ~20x the result), and
        TF's float32 dot products and convolutions accumulate linearly: at 128 px the
        logits were up to 9x further from the float64 values than PyTorch's float32 ones
        (tests/test_golden.py), from sigma's dot product (1e-6 relative) and the
        convolution's sum. Its kernel has one column, so float64 costs nothing.
        """
        if (self.kernel.shape[-1] == 1
                and keras.backend.standardize_dtype(self.compute_dtype) == "float32"):
            return internal_dtype(self.compute_dtype)
        return self.compute_dtype

    def normalized_kernel(self, training=False):
        """W / sigma in float32 (float64 where `math_dtype` is), running (and storing) a
        power iteration if training."""
        kernel, (sigma,) = self._kernel_and_sigmas(training)
        return kernel / sigma

    def _kernel_and_sigmas(self, training, rounds=1):
        """The raw kernel W and `[sigma(W)]` per power-iteration round (`rounds` if
        training, else one without a round); in float64 where `math_dtype` is, else in
        the kernel's dtype."""
        kernel, states = self._in_math_dtype(ops.convert_to_tensor(self.kernel),
                                             self._power_iterations(training, rounds))
        return kernel, [_sigma(kernel, u, v) for u, v, _ in states]

    def _in_math_dtype(self, kernel, states):
        """The kernel and power-iteration states in float64 where `math_dtype` is and
        the kernel is not; `v^T W^T` is then dropped (None), so that sigma comes from
        the float64 kernel, not from the float32 product."""
        if self.math_dtype != "float64" or kernel.dtype == "float64":
            return kernel, states
        return ops.cast(kernel, "float64"), [(ops.cast(u, "float64"), ops.cast(v, "float64"),
                                              None) for u, v, _ in states]

    def _power_iterations(self, training, rounds=1):
        """`[(u, v, v^T W^T)]`, constants for the gradient, one per round of
        `power_iterations` steps (`rounds` of them, each continuing from the last, the
        last stored) if training; else `[(u, v, None)]`, the stored state. `v^T W^T` is
        the product the round normalised into u, from which sigma = u . (v^T W^T) takes
        one kernel read less (PT computes the same product again)."""
        u, v = ops.convert_to_tensor(self.sn_u), ops.convert_to_tensor(self.sn_v)
        if not training:
            return [(u, v, None)]
        kernel = ops.stop_gradient(ops.convert_to_tensor(self.kernel))
        matrix = ops.reshape(kernel, (-1, kernel.shape[-1]))
        states = []
        for _ in range(rounds):
            for _ in range(self.power_iterations):
                v = _l2_normalize(ops.matmul(matrix, u))
                v_w = ops.matmul(v, matrix)
                u = _l2_normalize(v_w)
            states.append(tuple(ops.stop_gradient(t) for t in (u, v, v_w)))
        self.sn_u.assign(u)
        self.sn_v.assign(v)
        return states

    def _rounds(self, training, batch_groups, batch):
        """The power-iteration rounds of a call: `batch_groups` in training calls (one
        per part of the batch), else 1; checks that the parts are equal."""
        check_positive_int("batch_groups", batch_groups)
        if batch is not None and batch % batch_groups:
            raise ValueError(f"{self.name}: a batch of {batch} does not split into "
                             f"batch_groups={batch_groups} equal parts.")
        return batch_groups if training else 1

    def _add_bias(self, x):
        if self.bias is None:
            return x
        return x + ops.cast(self.bias, x.dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "use_bias": self.use_bias,
            "power_iterations": self.power_iterations,
        }


@keras.saving.register_keras_serializable(package="ugatit_tf")
class SpectralNormConv2D(SpectralNormBase):
    """`nn.utils.spectral_norm(nn.Conv2d(...))` with valid padding, NHWC.

    Args:
        filters: output channels.
        kernel_size: square kernel size.
        strides: square stride.
        use_bias: whether to add a (not normalised) bias.
        power_iterations: power-iteration steps per training call.

    Call arguments:
        inputs: `[N, H, W, C]`.
        training: runs and stores a power iteration when true.
        batch_groups: in training calls, the batch is this many equal parts, each
            normalised as its own PT call would be (one power-iteration round each).

    Returns:
        `[N, H', W', filters]` in the compute dtype.

    Reference: Miyato et al. 2018; UGATIT-pytorch `networks.py`, `Discriminator`.
    """

    def __init__(
        self, filters, kernel_size, strides=1, use_bias=True, power_iterations=1, **kwargs
    ):
        super().__init__(use_bias, power_iterations, **kwargs)
        for name, value in (("filters", filters), ("kernel_size", kernel_size),
                            ("strides", strides)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}.")
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides

    def build(self, input_shape):
        k = self.kernel_size
        self._build_weights((k, k, input_shape[-1], self.filters))

    def call(self, inputs, training=False, batch_groups=1):
        dtype = self.math_dtype
        inputs = ops.cast(inputs, dtype)
        out_shape = self.compute_output_shape(inputs.shape)
        rounds = self._rounds(training, batch_groups, inputs.shape[0])
        if rounds == 1 and (None in out_shape
                            or math.prod(out_shape) >= math.prod(self.kernel.shape)):
            kernel, (sigma,) = self._kernel_and_sigmas(training)
            kernel = ops.cast(kernel / sigma, dtype)
            out = self._add_bias(valid_conv(inputs, kernel, self.strides))
            return ops.cast(out, self.compute_dtype)
        # conv(x, W / sigma) == conv(x, W) / sigma: divide whichever is smaller (and the
        # output where parts of the batch have their own sigma). The deep layers'
        # kernels are far larger than their outputs (4x4x1024x2048 against 2x2x2048 at
        # 128 px), and dividing the kernel costs several kernel-sized temporaries per
        # call in the backward pass.
        kernel, states = self._in_math_dtype(
            tf.convert_to_tensor(self.kernel),  # a read, not the variable
            self._power_iterations(training, rounds))
        out = self._add_bias(_conv_over_sigma(inputs, kernel, states, self.strides,
                                              out_shape))
        return ops.cast(out, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        n, h, w, _ = input_shape
        out = lambda d: None if d is None else (d - self.kernel_size) // self.strides + 1
        return (n, out(h), out(w), self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
        }


def _group_divisor(sigmas, x):
    """What divides `x` so that each of `len(sigmas)` equal parts of its first axis is
    divided by its own sigma: the sigma itself for one part."""
    if len(sigmas) == 1:
        return sigmas[0]
    per_row = tf.repeat(tf.stack(sigmas), tf.shape(x)[0] // len(sigmas))
    return tf.reshape(per_row, [-1] + [1] * (x.shape.rank - 1))


def _group_sums(x, groups):
    """The sums of `groups` equal parts of x's first axis, as a list."""
    if groups == 1:
        return [tf.reduce_sum(x)]
    return tf.unstack(tf.reduce_sum(tf.reshape(x, (groups, -1)), axis=1))


def _conv_over_sigma(inputs, kernel, states, strides, out_shape):
    """`conv(inputs, W) / sigma(W)` (valid padding), `sigma = u^T W v` with u, v held
    constant, one sigma per round in `states` (`[(u, v, v^T W^T or None)]`, from
    `_power_iterations`) for as many equal parts of the batch: autodiff's values, with
    the gradient written here so that the kernel's terms (the conv's and each sigma's
    outer product `v (d_sigma u)^T`) are summed per call. Left to the tape, all calls'
    terms went into one sum that grappler made an accumulator with two more
    kernel-sized buffers (128 MiB each for the 4x4x1024x2048 kernels at ch 64); summing
    per call took the step's peak allocation at light ch 64, 128 px from 3.83 to 3.44 GiB
    (bench/memory_profile.py).

    On CPUs and GPUs (`matmul_conv_devices` says where), when the kernel is large and the
    output has few positions for its channels, the conv is run as a matmul of the
    input windows (`windows_matmul.patches`) with the kernel matrix, as is every conv
    for which `windows_matmul.takes_matmul` holds: for such shapes oneDNN's conv and its
    gradients spend their time reordering the kernel (the global discriminator's
    4x4x1024x2048 conv on 3x3 positions at ch 64, 128 px: 189 ms forward and backward,
    72 ms as a matmul). The kernel's gradient terms are then one matmul, of the
    windows and the output gradient with one more row per round each (v and d_sigma u).
    """
    dtype = inputs.dtype
    batch, out_h, out_w, units = out_shape
    as_matmul = takes_matmul(inputs, kernel.shape[0], strides, units) or (
        batch is not None and math.prod(kernel.shape) >= _MATMUL_MIN_KERNEL
        and batch * out_h * out_w * _MATMUL_CHANNELS_PER_ROW <= units
        and device_type(inputs) in _MATMUL_DEVICES.value)
    strides = [1, strides, strides, 1]
    us = [u for u, _, _ in states]
    vs = [v for _, v, _ in states]

    @tf.custom_gradient
    def forward(x, w):
        sigmas = [_sigma(w, u, v) if v_w is None else tf.reduce_sum(u * v_w)
                  for u, v, v_w in states]
        w_cast = tf.cast(w, dtype)
        matrix = tf.reshape(w_cast, (-1, units))
        out = tf.matmul(x, matrix) if as_matmul else tf.nn.conv2d(x, w_cast, strides, "VALID")
        divisor = _group_divisor([tf.cast(s, dtype) for s in sigmas], out)

        def grad(dy):
            d_out = dy / divisor
            d_sigmas = _group_sums(dy * ((-out / divisor) / divisor), len(states))
            # sigma_r's kernel gradient is v_r sigma_rows[r]
            sigma_rows = [(tf.cast(d, w.dtype) * u)[None, :] for d, u in zip(d_sigmas, us)]
            if as_matmul:
                dx = tf.matmul(d_out, matrix, transpose_b=True)
                dw = tf.matmul(tf.concat([tf.cast(x, w.dtype)] + [v[None, :] for v in vs],
                                         axis=0),
                               tf.concat([tf.cast(d_out, w.dtype)] + sigma_rows, axis=0),
                               transpose_a=True)
            else:
                dx = tf.raw_ops.Conv2DBackpropInput(
                    input_sizes=tf.shape(x), filter=w_cast, out_backprop=d_out,
                    strides=strides, padding="VALID")
                dw_conv = tf.raw_ops.Conv2DBackpropFilter(
                    input=x, filter_sizes=tf.shape(w), out_backprop=d_out,
                    strides=strides, padding="VALID")
                dw = tf.cast(tf.reshape(dw_conv, (-1, units)), w.dtype) + tf.matmul(
                    tf.stack(vs, axis=1), tf.concat(sigma_rows, axis=0))
            return dx, tf.reshape(dw, w.shape)

        return out / divisor, grad

    if not as_matmul:
        return forward(inputs, kernel)
    windows = patches(inputs, kernel.shape[0], strides[1])
    return tf.reshape(forward(windows, kernel), (-1, out_h, out_w, units))


@keras.saving.register_keras_serializable(package="ugatit_tf")
class SpectralNormDense(SpectralNormBase):
    """`nn.utils.spectral_norm(nn.Linear(...))`.

    Args:
        units: output features.
        use_bias: whether to add a bias.
        power_iterations: power-iteration steps per training call.

    Call arguments:
        inputs: `[N, in]`.
        training: runs and stores a power iteration when true.
        batch_groups: in training calls, the batch is this many equal parts, each
            normalised as its own PT call would be (one power-iteration round each).

    Returns:
        `[N, units]` in the compute dtype.
    """

    def __init__(self, units, use_bias=False, power_iterations=1, **kwargs):
        super().__init__(use_bias, power_iterations, **kwargs)
        if not isinstance(units, int) or units < 1:
            raise ValueError(f"units must be a positive int, got {units!r}.")
        self.units = units

    def build(self, input_shape):
        self._build_weights((input_shape[-1], self.units))

    def call(self, inputs, training=False, batch_groups=1):
        dtype = self.math_dtype
        inputs = ops.cast(inputs, dtype)
        rounds = self._rounds(training, batch_groups, inputs.shape[0])
        kernel, sigmas = self._kernel_and_sigmas(training, rounds)
        if rounds == 1:
            out = ops.matmul(inputs, ops.cast(kernel / sigmas[0], dtype))
        else:
            out = ops.matmul(inputs, ops.cast(kernel, dtype))
            out = out / _group_divisor([ops.cast(s, dtype) for s in sigmas], out)
        return ops.cast(self._add_bias(out), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}
