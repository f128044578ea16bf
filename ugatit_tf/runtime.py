"""Process-wide TensorFlow settings for training (measured in bench/RESULTS.md)."""

import ctypes

import tensorflow as tf


def configure_runtime(inter_op_threads=None):
    """Applies the settings measured best for training; call before TF's runtime starts.

    Args:
        inter_op_threads: ops run concurrently. Default: 1 without a GPU (one op at a
            time on all cores; two ops competing for two cores made the step ~1.5x
            slower), TF's default with GPUs; 0: TF's default.

    Returns:
        A dict of what was set, for the log.
    """
    if inter_op_threads is None and not tf.config.list_physical_devices("GPU"):
        inter_op_threads = 1
    if not inter_op_threads:
        return {}
    tf.config.threading.set_inter_op_parallelism_threads(inter_op_threads)
    return {"inter_op_threads": inter_op_threads}


def release_free_memory():
    """Hands the C heap's free pages back to the OS (glibc's `malloc_trim`).

    Freed memory otherwise stays in the process, and memory freed as many small blocks
    cannot hold the training step's large tensors, which then come on top of it.

    Returns:
        Whether memory was released; False where the C library has no `malloc_trim`
        (not glibc).
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library the process runs on
    except (OSError, AttributeError, TypeError):
        return False
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return bool(trim(0))
