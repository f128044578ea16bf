"""The training benchmark's configurations and the official PyTorch figures for
them (issue 6), shared by bench/train_bench.py and bench/memory_profile.py."""

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
