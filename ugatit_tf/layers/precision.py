"""The dtype in which precision-sensitive parts (statistics, power iteration) run."""

import keras


def statistics_dtype(compute_dtype):
    """The wider of float32 and `compute_dtype`.

    Normalisation statistics and the spectral-norm power iteration run in float32 under
    mixed precision (bfloat16/float16 compute), and in float64 under the `float64`
    policy, so that a float64 model is float64 throughout.
    """
    name = keras.backend.standardize_dtype(compute_dtype)
    return "float64" if name == "float64" else "float32"
