"""Light-generator inference latency at the paper's light config (ch 64, 256 px).

    python bench/inference_bench.py

Complements bench/export_bench.py (which measures the exported files' errors on real
photos and needs a data folder; its timing helpers are repeated here because importing
it would define its flags twice): this one needs no data, runs on one fixed random
batch-1 input, and compares every way of running one generator with the official
PyTorch figure (759 ms/image, no grad, same machine kind; issue 6):
Keras eager call, Keras `tf.function` (with and without XLA, and in mixed_bfloat16),
the exported SavedModel `a2b` signature and the exported TFLite float32 / float16 files
through `ai_edge_litert` (export through `export_lib.export_task`, the code path
of export.py). Median of `--runs` runs after a warm-up. Prints a table and writes
bench/results/inference_bench.json with the 1-minute load average around each row.
"""

import os
import sys
import tempfile
import time

import numpy as np
import tensorflow as tf
from absl import app, flags

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from common import machine, median_ms, tflite_invoker, write_json  # noqa: E402  (bench/ is on sys.path)

from configs import light  # noqa: E402
from ugatit_tf import export_lib  # noqa: E402
from ugatit_tf.models import UGATITGenerator
from ugatit_tf.tasks.ugatit import UGATITTask  # noqa: E402

PT_MS = 759.0

FLAGS = flags.FLAGS
flags.DEFINE_integer("runs", 10, "Timed runs per row (after one warm-up run).")
flags.DEFINE_integer("threads", 2, "LiteRT interpreter threads.")
flags.DEFINE_integer("inter_op_threads", 1, "tf.config.threading inter-op threads for "
                     "the TF rows (0: TF's default, one per core).")
flags.DEFINE_bool("bfloat16", True, "Also time the Keras generator under the "
                  "mixed_bfloat16 policy (oneDNN's AVX512_BF16 kernels where the CPU has "
                  "them); not float32, so reported apart.")
flags.DEFINE_list("variants", ["float32", "float16"], "TFLite variants to export and time.")
flags.DEFINE_string("output", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                           "results", "inference_bench.json"),
                    "JSON results file ('' to skip writing).")


def main(argv):
    del argv
    if FLAGS.inter_op_threads:
        tf.config.threading.set_inter_op_parallelism_threads(FLAGS.inter_op_threads)
    task = UGATITTask(light.get_config())  # the two generators export through the task
    config = task.config.model
    size = config.image_size
    gen = task.generators["a2b"]
    image = np.random.default_rng(0).uniform(-1, 1, (1, size, size, 3)).astype(np.float32)
    tensor = tf.constant(image)
    graph = tf.function(lambda x: gen(x)[0], reduce_retracing=True)
    xla = tf.function(lambda x: gen(x)[0], jit_compile=True)
    reference = graph(tensor).numpy()

    rows = []

    def row(name, fn, out=None):
        load = os.getloadavg()[0]
        ms = median_ms(fn, FLAGS.runs)
        err = None if out is None else float(np.max(np.abs(np.asarray(out) - reference)))
        rows.append({"model": name, "latency_ms": ms, "speedup_vs_pt": PT_MS / ms,
                     "max_abs_diff_vs_keras": err, "load_1min_before": load,
                     "load_1min_after": os.getloadavg()[0]})
        print(f"{name}: {ms:.0f} ms (load {load:.2f})", flush=True)

    row("Keras eager call", lambda: gen(tensor), gen(tensor)[0])
    row("Keras tf.function", lambda: graph(tensor).numpy(), graph(tensor))
    row("Keras tf.function, XLA", lambda: xla(tensor).numpy(), xla(tensor))
    if FLAGS.bfloat16:  # not float32: reported apart from the goal's rows
        gen_bf16 = UGATITGenerator(config.base_filters, config.num_res_blocks, size,
                                   config.light, dtype="mixed_bfloat16", name="gen_bf16")
        gen_bf16.build((None, size, size, 3))
        gen_bf16.set_weights(gen.get_weights())
        graph_bf16 = tf.function(lambda x: gen_bf16(x)[0])
        row("Keras tf.function, mixed_bfloat16", lambda: graph_bf16(tensor).numpy(),
            graph_bf16(tensor))

    with tempfile.TemporaryDirectory() as tmp:
        out_dir = os.path.join(tmp, "1")
        start = time.time()
        export_lib.export_task(task, config, out_dir, verify=False,
                               tflite_variants=tuple(FLAGS.variants))
        export_s = time.time() - start
        loaded = tf.saved_model.load(out_dir)
        signature = loaded.signatures["a2b"]
        row("SavedModel a2b signature",
            lambda: signature(images=tensor)["image"].numpy(),
            signature(images=tensor)["image"])
        for variant in FLAGS.variants:
            path = os.path.join(out_dir, export_lib.TFLITE_SUBDIR, f"a2b_{variant}.tflite")
            run = tflite_invoker(path, image, FLAGS.threads)
            outputs = run()
            out = next(o for o in outputs if o.shape == reference.shape)
            row(f"TFLite {variant} ({FLAGS.threads} threads)", run, out)

    params = int(sum(np.prod(v.shape) for v in gen.trainable_variables))
    print(f"\nU-GAT-IT light generator, ch {config.base_filters}, {size} px, "
          f"{config.num_res_blocks} res blocks ({params:,} parameters), batch 1, "
          f"median of {FLAGS.runs} runs; PyTorch: {PT_MS:.0f} ms\n")
    print(f"{'model':40s} {'ms':>8s} {'vs PT':>6s} {'max|diff|':>10s} {'load':>5s}")
    for r in rows:
        diff = r["max_abs_diff_vs_keras"]
        print(f"{r['model']:40s} {r['latency_ms']:8.0f} {r['speedup_vs_pt']:6.2f} "
              f"{'-' if diff is None else format(diff, '.1e'):>10s} "
              f"{max(r['load_1min_before'], r['load_1min_after']):5.2f}")
    if FLAGS.output:
        record = {
            "command": "python bench/inference_bench.py",
            "config": config.to_dict(), "generator_parameters": params,
            "runs": FLAGS.runs, "litert_threads": FLAGS.threads,
            "inter_op_threads": FLAGS.inter_op_threads, "pt_ms": PT_MS,
            "export_seconds": export_s, "rows": rows,
            "machine": machine(),
        }
        write_json(FLAGS.output, record)


if __name__ == "__main__":
    app.run(main)
