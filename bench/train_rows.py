"""The training benchmark's configurations and the official PyTorch figures for
them (issue 6), and the trainer they measure, shared by bench/train_bench.py and
bench/memory_profile.py."""

# Reference: the official PyTorch code on this machine kind (issue 6).
ROWS = {
    # name: (light, ch, image size, default timed steps, PT ms/iter, PT peak GiB, PT GFLOP)
    "light16_128": (True, 16, 128, 5, 702, 0.90, 45.9),
    "light32_128": (True, 32, 128, 3, 2870, 1.83, 176.7),
    "light64_128": (True, 64, 128, 2, 8695, 4.78, 692.9),
    "light64_256": (True, 64, 256, 1, 48335, 9.24, 2797),
    "full64_256": (False, 64, 256, 1, None, 20.6, 2810),
}


def make_config(light, ch, size, batch=1):
    from configs import default

    config = default.get_config()
    config.model.light = light
    config.model.base_filters = ch
    config.model.image_size = size
    config.data.batch_size = batch
    config.train.iterations = 1_000_000
    return config


def constant_batch(size, batch=1, seed=0):
    """One random `(real_a, real_b)` pair in [-1, 1], the same on every device."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return tuple(rng.uniform(-1.0, 1.0, (batch, size, size, 3)).astype(np.float32)
                 for _ in "AB")


def trainer_on_constant_batch(name, workdir, steps_per_loop, jit_compile=False,
                              device="/cpu:0", batch=1, model=None,
                              float32_statistics=None):
    """The real Trainer of row `name` (OneDeviceStrategy on `device`) and an iterator
    repeating one random batch, so that no data pipeline work is timed.

    Args:
        model: `(light, ch, image size)` instead of the row's.
        float32_statistics: the Trainer's switch of that name (None: its default).

    Returns:
        `(trainer, iterator, (real_a, real_b))`.
    """
    import tensorflow as tf

    from ugatit_tf.trainer import Trainer

    light, ch, size = model or ROWS[name][:3]
    trainer = Trainer(make_config(light, ch, size, batch), workdir,
                      tf.distribute.OneDeviceStrategy(device),
                      steps_per_loop=steps_per_loop, jit_compile=jit_compile,
                      float32_statistics=float32_statistics)
    pair = tuple(tf.constant(x) for x in constant_batch(size, batch))
    return trainer, iter(tf.data.Dataset.from_tensors(pair).repeat()), pair
