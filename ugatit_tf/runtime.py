"""Process-wide TensorFlow settings for the training step (measured in bench/RESULTS.md)."""

import tensorflow as tf

# Grappler passes turned off on CPUs. With them the step's peak allocation was
# ~0.4 GiB higher (light ch 64, 128 px: 3.8 -> 3.4 GiB; peak RSS ~5.0 -> 4.6 GiB) and
# the step no faster.
CPU_GRAPPLER_OPTIONS = {"dependency_optimization": False, "constant_folding": False}


def configure_runtime(inter_op_threads=None, cpu_grappler_options=True):
    """Applies the settings measured best for training; call before TF's runtime starts.

    Without a GPU: one inter-op thread (one op at a time on all cores; two ops
    competing for two cores made the step ~1.5x slower) unless `inter_op_threads` says
    otherwise (0: TF's default), and `CPU_GRAPPLER_OPTIONS` unless
    `cpu_grappler_options` is false. With a GPU only an explicit `inter_op_threads` is
    applied.

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
    if cpu_grappler_options and not has_gpu:
        tf.config.optimizer.set_experimental_options(CPU_GRAPPLER_OPTIONS)
        applied.update(CPU_GRAPPLER_OPTIONS)
    return applied
