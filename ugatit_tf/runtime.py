"""Process-wide TensorFlow settings for training, chosen by device (measured in
bench/RESULTS.md).

TensorFlow is imported inside the functions: `enable_xla_cache` must run before it is
(under absl's `app.run`, importing TF reads the XLA flags).
"""

import ctypes
import os

CACHE_DIR = os.path.join("~", ".cache", "ugatit_tf")  # `~` expanded where it is used
DEFAULT_XLA_CACHE_DIR = os.path.join(CACHE_DIR, "xla")


def has_gpu():
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def default_jit_compile(xla=None):
    """Whether the training step is compiled with XLA: `xla` when given, else XLA on
    GPUs (launch-bound there without it) and not on CPUs (no faster there, with more
    memory)."""
    return has_gpu() if xla is None else bool(xla)


def replicas_on_gpus(strategy):
    """Whether the replicas of the tf.distribute `strategy` run on GPUs."""
    import tensorflow as tf

    devices = getattr(strategy.extended, "worker_devices", ())
    return any(tf.DeviceSpec.from_string(d).device_type == "GPU" for d in devices)


def default_float32_statistics(strategy, float32_statistics=None):
    """Whether float32 models' normalisation arithmetic runs in float32
    (`precision.float32_internals`): `float32_statistics` when given, else on GPUs only.

    On CPUs the float64 arithmetic is what makes float32 training as accurate as
    PyTorch's (TF's float32 sums there add up linearly; tests/test_golden.py). On an
    H200 it made the light 256 px step 1.6x slower (65.9 against 41.9 ms) and bought no
    accuracy: the step's TensorFloat-32 convolutions (TF's and PyTorch's
    default there) put the errors three orders of magnitude above the CPU bounds with
    either (bench/RESULTS.md, the GPU golden check).
    """
    if float32_statistics is not None:
        return bool(float32_statistics)
    return replicas_on_gpus(strategy)


def enable_xla_cache(directory=None):
    """Keeps XLA's compiled programs and GPU autotuning results in `directory` across
    runs, so that a rerun of the same step skips the compile; call before TensorFlow
    is imported (TF may read these flags then). Flags the user already set in
    `TF_XLA_FLAGS` / `XLA_FLAGS` are left alone.

    The cache is keyed by the compiled program; it only grows (delete the folder to
    reclaim the space).

    Args:
        directory: the cache folder (`~` expanded); None: `DEFAULT_XLA_CACHE_DIR`;
            "": no cache.

    Returns:
        A dict of what was set, for the log.
    """
    if directory is None:
        directory = DEFAULT_XLA_CACHE_DIR
    if not directory:
        return {}
    directory = os.path.abspath(os.path.expanduser(directory))
    wanted = {
        "TF_XLA_FLAGS": ("--tf_xla_persistent_cache_directory", directory),
        "XLA_FLAGS": ("--xla_gpu_per_fusion_autotune_cache_dir",
                      os.path.join(directory, "autotune")),
    }
    applied = {}
    for variable, (flag, value) in wanted.items():
        current = os.environ.get(variable, "")
        if flag + "=" in current:
            continue
        os.makedirs(value, exist_ok=True)
        os.environ[variable] = f"{current} {flag}={value}".strip()
        applied[flag.lstrip("-")] = value
    return applied


def configure_runtime(inter_op_threads=None):
    """Applies the settings measured best for training; call before TF's runtime starts.

    Args:
        inter_op_threads: ops run concurrently. Default: 1 without a GPU (one op at a
            time on all cores; two ops competing for two cores made the step ~1.5x
            slower), TF's default with GPUs; 0: TF's default.

    Returns:
        A dict of what was set, for the log.
    """
    import tensorflow as tf

    if inter_op_threads is None and not has_gpu():
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
