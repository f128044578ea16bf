"""The dtype in which precision-sensitive parts (statistics, power iteration) run."""

import keras
from keras import ops


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
    return "float64" if name in ("float32", "float64") else "float32"


def accurate_sum(x, axes):
    """`sum(x, axes, keepdims=True)`, accumulated in float64 when x is narrower.

    TF's CPU reductions of float32 add up linearly: over a 128x128 feature map the sum is
    off by ~2.5e-6 relative, PyTorch's cascade summation by ~2e-8. Normalisation
    statistics and their gradients are such sums, and the U-GAT-IT losses amplify their
    error (tests/test_golden.py). Accumulating in float64 costs one cast; XLA fuses it
    into the reduction.
    """
    if keras.backend.standardize_dtype(x.dtype) == "float64":
        return ops.sum(x, axis=axes, keepdims=True)
    return ops.cast(ops.sum(ops.cast(x, "float64"), axis=axes, keepdims=True), x.dtype)
