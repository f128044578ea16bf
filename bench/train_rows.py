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


def make_config(light, ch, size):
    from configs import default

    config = default.get_config()
    config.model.light = light
    config.model.base_filters = ch
    config.model.image_size = size
    config.train.iterations = 1_000_000
    return config


def trainer_on_constant_batch(name, workdir, steps_per_loop, jit_compile=False):
    """The real Trainer of row `name` (OneDeviceStrategy on the CPU, batch 1) and an
    iterator repeating one random batch, so that no data pipeline work is timed.

    Returns:
        `(trainer, iterator, (real_a, real_b))`.
    """
    import tensorflow as tf

    from ugatit_tf.trainer import Trainer

    light, ch, size, *_ = ROWS[name]
    trainer = Trainer(make_config(light, ch, size), workdir,
                      tf.distribute.OneDeviceStrategy("/cpu:0"),
                      steps_per_loop=steps_per_loop, jit_compile=jit_compile)
    rng = tf.random.Generator.from_seed(0)
    batch = tuple(rng.uniform((1, size, size, 3), -1.0, 1.0) for _ in "AB")
    return trainer, iter(tf.data.Dataset.from_tensors(batch).repeat()), batch
