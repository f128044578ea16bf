"""Training-step benchmark against the official PyTorch code, timed in the same run.

    python bench/train_bench.py                      # every row, with and without XLA
    python bench/train_bench.py --rows=light16_128 --xla=off --steps=5

One iteration is the real compiled step of `ugatit_tf.trainer.Trainer` (its `_loop`:
D update, then G update, on the same batch) under OneDeviceStrategy on the CPU, batch 1,
float32, fed from an iterator over one constant random batch repeated (no data
pipeline work); `--xla=on` builds the Trainer with `jit_compile=True` (XLA compiles
its replica step). Each (row, XLA) runs in a fresh subprocess, so its peak RSS
(`ru_maxrss`: model, optimizer state, graph and step memory) is its own.

Reported per row: ms/iter (median over `--repeats` timed calls of `--steps` iterations
each, after the Trainer's `prepare` (as `Trainer.train` does: trace, build, release
the freed heap) and one warm-up call of one step), images/s (4 images per
iteration: real A and B in, and their translations), GFLOP per iteration counted once
from the graph of one traced step (TF's registered flop statistics of every
Conv2D / Conv2DBackprop* / MatMul / elementwise op, summed by `tf.compat.v1.profiler`;
the convolutions are nearly all of it), achieved GFLOP/s, CPU seconds per iteration,
peak RSS, and the 1-minute load average before and after the row (it includes the
previous row's own threads; a VM's host load does not show in it: see "Noise" in
bench/RESULTS.md).
The process is configured as train.py configures it (`ugatit_tf.runtime`):
`--inter_op_threads` 1, one op at a time on all cores (see bench/RESULTS.md).

With `--official` (the default) each row also times the official PyTorch iteration
(bench/official_step.py, torch's CPU wheel, benchmark only; its `networks.py` is
the official repository's, cloned into bench/third_party/UGATIT-pytorch) in its own
subprocess after ours, with the same steps and repeats, so that the speed-up is
measured side by side on the same machine state; the PT figures recorded in issue 6
(`train_rows.ROWS`) are kept beside it as `pt_recorded_ms`.

Prints a table and writes bench/results/train_bench.json.
"""

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from absl import app, flags

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from common import machine, write_json  # noqa: E402  (bench/ is on sys.path)
from train_rows import ROWS, trainer_on_constant_batch  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_list("rows", list(ROWS), f"Rows to run, of {list(ROWS)}.")
flags.DEFINE_enum("xla", "both", ["off", "on", "both"], "Compile the step with XLA.")
flags.DEFINE_integer("steps", None, "Iterations per timed call (default: per row).")
flags.DEFINE_integer("repeats", None, "Timed calls (default 3 at 128 px, 2 at 256 px).")
flags.DEFINE_bool("count_flops", True, "Count the FLOPs of one step from its graph.")
flags.DEFINE_string("dtype", "float32", "Keras dtype policy: float32 or mixed_bfloat16.")
flags.DEFINE_string("output", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                           "results", "train_bench.json"),
                    "JSON results file ('' to skip writing).")
flags.DEFINE_integer("inter_op_threads", 1, "tf.config.threading inter-op threads "
                     "(0: TF's default, one per core; 1 runs one op at a time on all "
                     "cores: ~1.5x faster and leaner on 2 cores, see bench/RESULTS.md).")
flags.DEFINE_integer("intra_op_threads", 0, "tf.config.threading intra-op threads "
                     "(0: TF's default).")
flags.DEFINE_float("max_data_gib", 0.0, "Cap each child's data segment (RLIMIT_DATA, "
                   "anonymous memory included) so that a row too big for the machine "
                   "fails instead of pushing a shared machine into swap or the OOM "
                   "killer; 0: no cap.")
flags.DEFINE_bool("merge", False, "Update the rows of an existing --output file (same "
                  "row, XLA and dtype) and keep its others.")
flags.DEFINE_bool("official", True, "Also time the official PyTorch iteration of each "
                  "row, in the same run (bench/official_step.py).")
flags.DEFINE_integer("official_threads", 0, "torch CPU threads of the official code (0: "
                     "torch's default, one per core).")
flags.DEFINE_string("child", None, "Internal: run one row in this process.")
flags.DEFINE_bool("child_xla", False, "Internal.")


def peak_rss_gib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def _memory_cap(gib):
    if not gib:
        return None
    limit = int(gib * 2**30)
    return lambda: resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def _cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def count_gflops(trainer, real_a, real_b):
    """GFLOP of one iteration, from the graph of one traced replica step."""
    import tensorflow as tf

    fn = tf.function(trainer._replica_step).get_concrete_function(real_a, real_b)
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    profile = tf.compat.v1.profiler.profile(fn.graph, options=options)
    return profile.total_float_ops / 1e9


def run_child(name, xla):
    """Measures one row in this process; prints one JSON line."""
    import keras
    import tensorflow as tf

    from ugatit_tf.runtime import configure_runtime

    configure_runtime(FLAGS.inter_op_threads)
    if FLAGS.intra_op_threads:
        tf.config.threading.set_intra_op_parallelism_threads(FLAGS.intra_op_threads)
    light, ch, size, steps, *_ = ROWS[name]
    steps = FLAGS.steps or steps
    repeats = FLAGS.repeats or (3 if size <= 128 else 2)
    if FLAGS.dtype != "float32":
        keras.mixed_precision.set_global_policy(FLAGS.dtype)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as workdir:
        trainer, iterator, (real_a, real_b) = trainer_on_constant_batch(
            name, workdir, steps_per_loop=steps, jit_compile=xla)
        loop = lambda n: trainer._loop(iterator, n)  # noqa: E731

        start = time.perf_counter()
        trainer.prepare(iterator)  # as Trainer.train does first
        metrics, _ = loop(tf.constant(1))
        float(metrics["G_loss"])
        first_s = time.perf_counter() - start
        times = []
        cpu_start = _cpu_seconds()
        for _ in range(repeats):
            start = time.perf_counter()
            metrics, finite = loop(tf.constant(steps))
            float(metrics["G_loss"])  # waits for the loop
            times.append((time.perf_counter() - start) / steps)
        cpu_per_iter = (_cpu_seconds() - cpu_start) / (repeats * steps)
        peak = peak_rss_gib()
        gflop = count_gflops(trainer, real_a, real_b) if FLAGS.count_flops else None
    ms = 1000 * statistics.median(times)
    result = {
        "row": name, "light": light, "ch": ch, "image_size": size, "xla": xla,
        "dtype": FLAGS.dtype, "steps_per_call": steps, "timed_calls": repeats,
        "ms_per_iter": ms, "ms_per_iter_min": 1000 * min(times),
        "images_per_s": 4 * 1000 / ms, "cpu_s_per_iter": cpu_per_iter,
        "first_call_s": first_s,
        "gflop_per_iter": gflop,
        "gflop_per_s": None if gflop is None else gflop / (ms / 1000),
        "peak_rss_gib": peak, "finite": bool(finite),
        "load_1min_before": load_before, "load_1min_after": os.getloadavg()[0],
    }
    print("RESULT " + json.dumps(result), flush=True)


def time_official(name, ours):
    """The official iteration of row `name` on the CPU, with our row's steps and timed
    calls (bench/official_step.py in a subprocess); its RESULT dict or `{"error"}`."""
    light, ch, size, *_ = ROWS[name]
    cmd = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                        "official_step.py"), "--device=cpu",
           f"--light={int(light)}", f"--ch={ch}", f"--size={size}",
           f"--steps={ours['steps_per_call']}", f"--repeats={ours['timed_calls']}",
           "--warmup=1", f"--threads={FLAGS.official_threads}"]
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          preexec_fn=_memory_cap(FLAGS.max_data_gib))
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode or not lines:
        return {"error": "\n".join(proc.stderr.splitlines()[-5:])}
    return json.loads(lines[-1][len("RESULT "):])


def fmt(value, spec, width):
    return format("-" if value is None else format(value, spec), f">{width}")


def main(argv):
    del argv
    if FLAGS.child:
        run_child(FLAGS.child, FLAGS.child_xla)
        return
    unknown = set(FLAGS.rows) - set(ROWS)
    if unknown:
        raise app.UsageError(f"Unknown rows {sorted(unknown)}; choose from {list(ROWS)}.")
    xlas = {"off": [False], "on": [True], "both": [False, True]}[FLAGS.xla]
    results = []
    official = {}  # row -> the official code's result, timed once per row
    for name in FLAGS.rows:
        for xla in xlas:
            cmd = [sys.executable, os.path.abspath(__file__), f"--child={name}",
                   f"--child_xla={xla}", f"--dtype={FLAGS.dtype}",
                   f"--count_flops={FLAGS.count_flops}",
                   f"--inter_op_threads={FLAGS.inter_op_threads}",
                   f"--intra_op_threads={FLAGS.intra_op_threads}"]
            if FLAGS.steps:
                cmd.append(f"--steps={FLAGS.steps}")
            if FLAGS.repeats:
                cmd.append(f"--repeats={FLAGS.repeats}")
            proc = subprocess.run(cmd, capture_output=True, text=True,
                                  preexec_fn=_memory_cap(FLAGS.max_data_gib))
            lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
            if proc.returncode or not lines:
                tail = "\n".join(line for line in proc.stderr.splitlines()[-15:]
                                 if 'File "' not in line)
                print(f"{name} xla={xla}: failed (exit {proc.returncode})\n{tail}",
                      flush=True)
                results.append({"row": name, "xla": xla, "error": tail[-2000:]})
                continue
            result = json.loads(lines[-1][len("RESULT "):])
            _, _, _, _, pt_ms, pt_gib, pt_gflop = ROWS[name]
            result.update(pt_recorded_ms=pt_ms, pt_peak_rss_gib=pt_gib,
                          pt_gflop_per_iter=pt_gflop, pt_measured=False)
            if FLAGS.official:
                if name not in official:
                    official[name] = time_official(name, result)
                if "ms_per_iter" in official[name]:
                    pt_ms, pt_gib = official[name]["ms_per_iter"], official[name]["peak_gib"]
                    result.update(pt_peak_rss_gib=pt_gib, pt_measured=True)
                else:
                    print(f"{name}: official code failed: {official[name]['error']}")
            result.update(pt_ms_per_iter=pt_ms,
                          speedup_vs_pt=None if pt_ms is None else pt_ms / result["ms_per_iter"])
            results.append(result)
            print(f"{name} xla={xla}: {result['ms_per_iter']:.0f} ms/iter, "
                  f"{result['peak_rss_gib']:.2f} GiB, load {result['load_1min_before']:.2f}"
                  f"->{result['load_1min_after']:.2f}", flush=True)

    print(f"\nU-GAT-IT training step, batch 1, {FLAGS.dtype}, "
          f"{os.cpu_count()} CPUs, TF compiled step\n")
    print(f"{'row':12s} {'XLA':>4s} {'ms/iter':>9s} {'PT ms':>7s} {'speedup':>7s} "
          f"{'img/s':>6s} {'CPU s':>6s} {'GFLOP':>7s} {'GFLOP/s':>8s} {'RSS GiB':>8s} "
          f"{'PT GiB':>7s} {'load':>5s}")
    for r in results:
        if "error" in r:
            print(f"{r['row']:12s} {str(r['xla']):>4s}  failed")
            continue
        print(f"{r['row']:12s} {'on' if r['xla'] else 'off':>4s} "
              f"{fmt(r['ms_per_iter'], '.0f', 9)} {fmt(r['pt_ms_per_iter'], '.0f', 7)} "
              f"{fmt(r['speedup_vs_pt'], '.2f', 7)} {fmt(r['images_per_s'], '.2f', 6)} "
              f"{fmt(r['cpu_s_per_iter'], '.2f', 6)} "
              f"{fmt(r['gflop_per_iter'], '.1f', 7)} {fmt(r['gflop_per_s'], '.1f', 8)} "
              f"{fmt(r['peak_rss_gib'], '.2f', 8)} {fmt(r['pt_peak_rss_gib'], '.2f', 7)} "
              f"{max(r['load_1min_before'], r['load_1min_after']):5.2f}")

    if FLAGS.output:

        record = {
            "command": "python bench/train_bench.py " + " ".join(
                a for a in sys.argv[1:] if not a.startswith("--output")),
            "dtype": FLAGS.dtype,
            "inter_op_threads": FLAGS.inter_op_threads,
            "intra_op_threads": FLAGS.intra_op_threads,
            "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default (on)"),
            "machine": machine(processor=_cpu_model()),
            "rows": results,
        }
        if FLAGS.merge and os.path.exists(FLAGS.output):
            with open(FLAGS.output) as f:
                old = json.load(f)
            key = lambda r: (r["row"], r["xla"], r.get("dtype", FLAGS.dtype))  # noqa: E731
            fresh = {key(r) for r in results}
            kept = [r for r in old["rows"] if key(r) not in fresh]
            record["rows"] = sorted(kept + results, key=lambda r: (list(ROWS).index(r["row"]),
                                                                   r["xla"]))
            record["command"] = old["command"] + " ; " + record["command"]
        write_json(FLAGS.output, record)


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    app.run(main)
