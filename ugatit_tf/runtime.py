"""Process-wide TensorFlow settings for the training step (measured in bench/RESULTS.md)."""

import tensorflow as tf

# Grappler passes that `save_memory` turns off. Without them the step's peak
# allocation is ~0.4 GiB lower (light ch 64, 128 px: 3.8 -> 3.4 GiB; peak RSS
# ~5.0 -> 4.6 GiB) and the step ~5-10% slower on CPUs (bench/RESULTS.md).
MEMORY_SAVING_GRAPPLER_OPTIONS = {"dependency_optimization": False,
                                  "constant_folding": False}


def configure_runtime(inter_op_threads=None, save_memory=False):
    """Applies the settings measured best for training; call before TF's runtime starts.

    Args:
        inter_op_threads: ops run concurrently. Default: 1 without a GPU (one op at a
            time on all cores; two ops competing for two cores made the step ~1.5x
            slower), TF's default with GPUs; 0: TF's default.
        save_memory: turn off `MEMORY_SAVING_GRAPPLER_OPTIONS`.

    Returns:
        A dict of what was set, for the log.
    """
    applied = {}
    has_gpu = bool(tf.config.list_physical_devices("GPU"))
    if inter_op_threads is None and not has_gpu:
        inter_op_threads = 1
    if inter_op_threads:  # 0: TF's default
        tf.config.threading.set_inter_op_parallelism_threads(inter_op_threads)
        applied["inter_op_threads"] = inter_op_threads
    if save_memory:
        tf.config.optimizer.set_experimental_options(MEMORY_SAVING_GRAPPLER_OPTIONS)
        applied.update(MEMORY_SAVING_GRAPPLER_OPTIONS)
    return applied
