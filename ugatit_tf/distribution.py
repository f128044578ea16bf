"""Choosing a tf.distribute strategy from a name."""

import tensorflow as tf

STRATEGIES = ("auto", "mirrored", "multi_worker", "one_device")


def get_strategy(name="auto"):
    """Returns the strategy called `name`.

    auto: MirroredStrategy over all GPUs when there are several, else one device.
    mirrored: MirroredStrategy over all visible GPUs (or the logical CPUs when there is
        no GPU and the CPU was split into logical devices).
    multi_worker: MultiWorkerMirroredStrategy; the cluster comes from TF_CONFIG.
    one_device: the first GPU, else the CPU.
    """
    if name not in STRATEGIES:
        raise ValueError(f"Unknown strategy '{name}'; choose one of {STRATEGIES}.")
    if name == "multi_worker":  # must come before anything initialises the runtime
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if name == "auto":
        name = "mirrored" if len(gpus) > 1 else "one_device"
    if name == "mirrored":
        devices = [d.name for d in gpus] or [
            d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
