"""How long train.py's sample grids take (`TrainingLogger.write_samples`: both
directions' `sample_rows` for 5 test images, every `print_freq` iterations).

    python bench/sample_grid_bench.py --base_filters=64 --image_size=256

Builds the light U-GAT-IT task at the given width and size, draws the two grids from
5 random images twice (the first call traces) and prints each call's time with the
1-minute load average before and after.
"""

import os
import sys
import time

import numpy as np
from absl import app, flags

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from configs import light  # noqa: E402
from ugatit_tf import tasks, visualization  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_integer("base_filters", 64, "Generator width (the paper's light: 64).")
flags.DEFINE_integer("image_size", 256, "Image size (the paper's: 256).")


def main(argv):
    del argv
    config = light.get_config()
    config.model.base_filters, config.model.image_size = FLAGS.base_filters, FLAGS.image_size
    task = tasks.get_task(config)
    size = FLAGS.image_size
    images = np.random.default_rng(0).uniform(-1, 1, (5, size, size, 3)).astype(np.float32)
    for call in ("first (traces)", "second"):
        load = os.getloadavg()[0]
        start = time.perf_counter()
        for direction in ("a2b", "b2a"):
            visualization.grid(task.sample_rows(direction, images))
        print(f"light ch {FLAGS.base_filters}, {size} px, {call} call: "
              f"{time.perf_counter() - start:.1f} s (load {load:.1f} -> "
              f"{os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    app.run(main)
