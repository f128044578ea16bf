"""Export benchmark at the paper's light configuration (ch 64, 256 px, 4 res blocks).

    python bench/export_bench.py --data_dir=<dataset>/ants2bees/testA

Exports two randomly initialised light generators with `export_lib.export_task`
(the code path of export.py), then measures on real photos resized to 256x256 and
scaled to [-1, 1]: each TFLite file's size, its error against the Keras generator
(max and mean |image - Keras| over all images) and the batch-1 latency (median of
`--runs` runs after a warm-up) of Keras, the SavedModel signatures and each TFLite file
through `ai_edge_litert`. Prints a table and writes bench/results/export_bench.json.
Random weights: errors of trained weights may differ, sizes and latencies do not.
"""

import os
import sys
import tempfile
import time

import numpy as np
import tensorflow as tf
from absl import app, flags, logging
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from common import machine, median_ms, tflite_invoker, write_json  # noqa: E402  (bench/ is on sys.path)

from configs import light  # noqa: E402
from ugatit_tf import export_lib  # noqa: E402
from ugatit_tf.tasks.ugatit import UGATITTask  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string("data_dir", None, "Folder of domain-A test images (JPEG/PNG).")
flags.DEFINE_integer("num_images", 8, "Images used for the error measurement.")
flags.DEFINE_integer("runs", 10, "Timed runs per model (after one warm-up run).")
flags.DEFINE_integer("threads", 2, "LiteRT interpreter threads.")
flags.DEFINE_string("output", os.path.join(os.path.dirname(__file__), "results",
                                           "export_bench.json"), "JSON results file.")
flags.mark_flag_as_required("data_dir")


def load_images(folder, count, size):
    names = sorted(n for n in os.listdir(folder)
                   if n.lower().endswith((".jpg", ".jpeg", ".png")))[:count]
    if not names:
        raise FileNotFoundError(f"No JPEG/PNG images in {folder}.")
    paths = [os.path.join(folder, n) for n in names]
    arrays = [np.asarray(Image.open(p).convert("RGB").resize((size, size), Image.BILINEAR))
              for p in paths]
    images = np.stack(arrays).astype(np.float32) / 127.5 - 1.0
    with open(paths[0], "rb") as f:
        return images, f.read()


def main(argv):
    del argv
    logging.set_verbosity(logging.INFO)
    load_at_start = os.getloadavg()[0]  # other jobs on the machine skew the latencies
    task = UGATITTask(light.get_config())  # the two generators export through the task
    config = task.config.model
    size = config.image_size
    images, jpeg = load_images(FLAGS.data_dir, FLAGS.num_images, size)
    gen = task.generators["a2b"]
    params = int(sum(np.prod(v.shape) for v in gen.trainable_variables))

    with tempfile.TemporaryDirectory() as tmp:
        out_dir = os.path.join(tmp, "1")
        start = time.time()
        export_lib.export_task(task, config, out_dir, verify=False)
        export_seconds = time.time() - start

        keras_out = np.concatenate([gen(images[i:i + 1])[0].numpy()
                                    for i in range(len(images))])
        loaded = tf.saved_model.load(out_dir)
        sm_out = loaded.signatures["a2b"](images=tf.constant(images))["image"].numpy()
        one = images[:1]
        rows = [
            {"model": "Keras (eager call)", "file_mb": None,
             "max_err": 0.0, "mean_err": 0.0,
             "latency_ms": median_ms(lambda: gen(one), FLAGS.runs)},
            {"model": "SavedModel a2b (float32 in)", "file_mb": None,
             "max_err": float(np.max(np.abs(sm_out - keras_out))),
             "mean_err": float(np.mean(np.abs(sm_out - keras_out))),
             "latency_ms": median_ms(
                 lambda: loaded.signatures["a2b"](images=tf.constant(one)), FLAGS.runs)},
            {"model": "SavedModel serving_default (JPEG in, PNG out)", "file_mb": None,
             "max_err": None, "mean_err": None,
             "latency_ms": median_ms(lambda: loaded.signatures["serving_default"](
                 image_bytes=tf.constant([jpeg])), FLAGS.runs)},
        ]
        for variant in export_lib.TFLITE_VARIANTS:
            path = os.path.join(out_dir, export_lib.TFLITE_SUBDIR, f"a2b_{variant}.tflite")
            with open(path, "rb") as f:
                model = f.read()
            lite_out = np.concatenate([export_lib.run_tflite(model, images[i:i + 1], "a2b")
                                       ["image"] for i in range(len(images))])
            err = np.abs(lite_out - keras_out)
            rows.append({
                "model": f"TFLite {variant}", "file_mb": len(model) / 2**20,
                "max_err": float(err.max()), "mean_err": float(err.mean()),
                "latency_ms": median_ms(tflite_invoker(path, one, FLAGS.threads),
                                        FLAGS.runs)})

    header = f"{'model':48s} {'file MB':>8s} {'max|err|':>9s} {'mean|err|':>9s} {'ms':>8s}"
    print(f"\nU-GAT-IT light generator, ch {config.base_filters}, {size} px, "
          f"{config.num_res_blocks} res blocks ({params:,} parameters), "
          f"{len(images)} real images, batch 1, median of {FLAGS.runs} runs\n")
    print(header)
    cell = lambda v, width, spec: format("-" if v is None else format(v, spec), f">{width}")
    for r in rows:
        print(f"{r['model']:48s} {cell(r['file_mb'], 8, '.2f')} "
              f"{cell(r['max_err'], 9, '.2e')} {cell(r['mean_err'], 9, '.2e')} "
              f"{r['latency_ms']:8.1f}")
    print(f"\nExport (SavedModel + 6 TFLite files): {export_seconds:.0f} s; 1-min load "
          f"average {load_at_start:.1f} at start, {os.getloadavg()[0]:.1f} at end "
          f"on {os.cpu_count()} CPUs")

    results = {
        "command": "python bench/export_bench.py --data_dir=<dataset>/ants2bees/testA",
        "config": config.to_dict(),
        "generator_parameters": params,
        "images": len(images),
        "runs": FLAGS.runs,
        "litert_threads": FLAGS.threads,
        "error": "|image - Keras image| over all pixels of all images, output range [-1, 1]",
        "rows": rows,
        "export_seconds": export_seconds,
        "machine": machine(load_average_1min=[load_at_start, os.getloadavg()[0]]),
    }
    write_json(FLAGS.output, results)


if __name__ == "__main__":
    app.run(main)
