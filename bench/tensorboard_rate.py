"""The training speed that `train.py` logged: iterations/s from a work dir's TensorBoard.

    python bench/tensorboard_rate.py --workdir=work_dirs/x [--skip=2]

`train.py` writes `iterations_per_second` (iterations of one compiled loop over its wall
time, logging and data included) every `log_freq` iterations. Printed: the median of
those after the first `--skip` values (start-up) as it/s and ms/iter, one JSON line, for
comparison with the constant-batch step of bench/gpu_bench.py and bench/train_bench.py.
"""

import glob
import json
import os
import statistics

from absl import app, flags

FLAGS = flags.FLAGS


def logged_rates(workdir):
    """`[(step, iterations_per_second)]` of the work dir's TensorBoard events, by step."""
    import tensorflow as tf

    rates = {}
    for path in sorted(glob.glob(os.path.join(workdir, "tensorboard", "events.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.tag == "iterations_per_second":
                    rates[event.step] = float(tf.make_ndarray(value.tensor))
    return sorted(rates.items())


def median_rate(rates, skip):
    """The median of the rates after the first `skip`; ValueError when none is left."""
    kept = [rate for _, rate in rates[skip:]]
    if not kept:
        raise ValueError(f"{len(rates)} logged rates, none left after skipping {skip}: "
                         "train longer or log more often (--config.train.log_freq).")
    return statistics.median(kept)


def main(argv):
    del argv
    rates = logged_rates(FLAGS.workdir)
    rate = median_rate(rates, FLAGS.skip)
    print(json.dumps({"workdir": FLAGS.workdir, "values": len(rates), "skipped": FLAGS.skip,
                      "iterations_per_second": rate, "ms_per_iter": 1000 / rate}))


if __name__ == "__main__":
    # Defined here, not on import: tests import this module beside train.py, which
    # defines a --workdir of its own.
    flags.DEFINE_string("workdir", None, "The train.py work dir.", required=True)
    flags.DEFINE_integer("skip", 2, "Logged values to drop at the start.")
    app.run(main)
