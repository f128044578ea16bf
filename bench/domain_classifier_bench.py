"""Domain classifier accuracy on the test images of the built-in synthetic data and ants2bees.

    python bench/domain_classifier_bench.py                       # both data sets
    python bench/domain_classifier_bench.py --datasets=synthetic --steps=600

Trains the classifier of `ugatit_tf/evaluation/domain_classifier.py` on trainA/trainB as
`evaluate.py` does (same defaults), then reports its accuracy on testA and testB, the
training time and the settings, in `bench/results/domain_classifier.json`. The folder
data sets are read from `--data_root` (default `../shared/data`, relative to the repo
root). Accuracy here is the ceiling of the "translation accuracy" of `evaluate.py`.
"""

import os
import tempfile
import time

import numpy as np
from absl import app, flags
from common import machine, write_json  # noqa: E402  (bench/ is on sys.path)

from ugatit_tf.data import build_eval_dataset
from ugatit_tf.evaluation import domain_classifier as dc

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAGS = flags.FLAGS
flags.DEFINE_list("datasets", ["synthetic", "ants2bees"], "synthetic or folder names.")
flags.DEFINE_string("data_root", os.path.join("..", "shared", "data"),
                    "Root of folder data sets, relative to the repo root or absolute.")
flags.DEFINE_integer("image_size", 64, "Images are loaded at this size (synthetic: rendered).")
flags.DEFINE_integer("steps", dc.DEFAULT_STEPS, "Training steps.")
flags.DEFINE_integer("input_size", dc.DEFAULT_INPUT_SIZE, "Classifier input size.")
flags.DEFINE_integer("seed", 0, "Seed of initialisation and data order.")
flags.DEFINE_string("output", os.path.join(REPO, "bench", "results", "domain_classifier.json"),
                    "Result JSON.")


def bench_one(name):
    data_config = {"dataset": name, "data_root": os.path.join(REPO, FLAGS.data_root)}
    start = time.time()
    with tempfile.TemporaryDirectory() as cache:
        classifier, info = dc.classifier_for_dataset(
            data_config, FLAGS.image_size, cache, steps=FLAGS.steps,
            input_size=FLAGS.input_size, seed=FLAGS.seed, progress=True)
    train_seconds = time.time() - start
    accuracy, counts = {}, {}
    for domain in "AB":
        ds = build_eval_dataset(data_config, FLAGS.image_size, "test", domain).batch(32)
        logits = np.concatenate([np.asarray(classifier.logits(x)) for x, _ in ds])
        accuracy[domain] = dc.domain_accuracy(logits, domain)
        counts[domain] = len(logits)
    total = (accuracy["A"] * counts["A"] + accuracy["B"] * counts["B"]) / sum(counts.values())
    return {"test_accuracy": total, "test_accuracy_a": accuracy["A"],
            "test_accuracy_b": accuracy["B"], "num_test_a": counts["A"],
            "num_test_b": counts["B"], "train_seconds": round(train_seconds, 1),
            "final_train_batch_accuracy": info["train"]["accuracy"]}


def main(argv):
    del argv
    results = {}
    for name in FLAGS.datasets:
        results[name] = bench_one(name)
        print(f"{name}: test accuracy {100 * results[name]['test_accuracy']:.1f}% "
              f"(A {100 * results[name]['test_accuracy_a']:.1f}%, "
              f"B {100 * results[name]['test_accuracy_b']:.1f}%), "
              f"trained in {results[name]['train_seconds']} s", flush=True)
    payload = {
        "command": "python bench/domain_classifier_bench.py " + " ".join(
            f"--{k}={v}" for k, v in [("datasets", ",".join(FLAGS.datasets)),
                                      ("image_size", FLAGS.image_size),
                                      ("steps", FLAGS.steps),
                                      ("input_size", FLAGS.input_size),
                                      ("seed", FLAGS.seed)]),
        "settings": {"image_size": FLAGS.image_size, "steps": FLAGS.steps,
                     "input_size": FLAGS.input_size, "batch_size_per_domain": 16,
                     "seed": FLAGS.seed},
        "machine": machine(),
        "results": results,
    }
    write_json(FLAGS.output, payload)


if __name__ == "__main__":
    app.run(main)
