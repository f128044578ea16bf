"""The dtype in which precision-sensitive parts (statistics, power iteration) run."""

import keras
from keras import ops

from ugatit_tf.layers.switches import TraceSwitch

# What float32 models' normalisation arithmetic runs in; see `float32_internals`.
_FLOAT32_INTERNAL = TraceSwitch("float64")


def statistics_dtype(compute_dtype):
    """The wider of float32 and `compute_dtype`.

    Normalisation statistics and the spectral-norm power iteration run in float32 under
    mixed precision (bfloat16/float16 compute), and in float64 under the `float64`
    policy, so that a float64 model is float64 throughout.
    """
    name = keras.backend.standardize_dtype(compute_dtype)
    return "float64" if name == "float64" else "float32"


def internal_dtype(compute_dtype):
    """The dtype normalisation arithmetic runs in before rounding to
    `statistics_dtype`: float64 for float32 and float64 models (their results must be as
    accurate as PyTorch's, see `normalization.normalize`), float32 under mixed
    precision (float32 statistics of low-precision activations)."""
    name = keras.backend.standardize_dtype(compute_dtype)
    if name == "float32":
        return _FLOAT32_INTERNAL.value
    return "float64" if name == "float64" else "float32"


def float32_internals(dtype):
    """Functions traced inside run float32 models' normalisation in `dtype`.

    Export traces with "float32": TFLite has no float64 builtin ops, and inference needs
    neither the gradient nor the last bits of the statistics (the forward outputs of the
    two agree to ~1e-6, tests/test_export.py).
    """
    return _FLOAT32_INTERNAL.set(keras.backend.standardize_dtype(dtype))


def accurate_sum(x, axes):
    """`sum(x, axes, keepdims=True)`, accumulated in float64 when x is narrower (float32
    x: in the dtype of `float32_internals`, float64 by default).

    TF's CPU reductions of float32 add up linearly: over a 128x128 feature map the sum is
    off by ~2.5e-6 relative, PyTorch's cascade summation by ~2e-8. Normalisation
    statistics and their gradients are such sums, and the U-GAT-IT losses amplify their
    error (tests/test_golden.py). Accumulating in float64 costs one cast; XLA fuses it
    into the reduction.
    """
    name = keras.backend.standardize_dtype(x.dtype)
    wide = _FLOAT32_INTERNAL.value if name == "float32" else "float64"
    if name == wide:
        return ops.sum(x, axis=axes, keepdims=True)
    return ops.cast(ops.sum(ops.cast(x, wide), axis=axes, keepdims=True), x.dtype)
