"""Start-up of the compiled training loop, by phase, from a cold and a warm XLA cache.

    python bench/startup_bench.py                     # light ch 16, 128 px, XLA, 2 warm
    python bench/startup_bench.py --ch=64 --size=256 --warm_runs=3 --output=

Each run is a fresh process (`--child`) on the real Trainer and one constant batch
(`train_rows.trainer_on_constant_batch`) with `runtime.enable_xla_cache` on one cache
folder: the first run fills it (cold), the next ones load the compiled step from it
(warm), as a second `train.py` run would. Phases, in seconds:
- `import`: TensorFlow and the library; `build`: the networks, optimizers, checkpoint;
- `trace`: Python tracing of the loop and its step (`get_concrete_function`);
- `instantiate`: the loop's first call with zero iterations (graph optimisation and
  kernel creation, what `Trainer.prepare` does);
- `first_step`: the first one-iteration call (XLA's conversion of the step, then the
  compile or the cache load, then the step);
- `total`: process start to the end of the first step.
The trace, instantiation and conversion grow with the number of ops in the step
(`graph_ops`), which ch and the image size change only a little (they pick the
spectral-norm convs' path); the host's speed sets them, so on a GPU machine they are
most of a warm start (bench/RESULTS.md). On this machine the phases
vary by ~10% between runs, so compare changes in alternating runs.
"""

import time

_PROCESS_START = time.perf_counter()

import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

from absl import app, flags  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

FLAGS = flags.FLAGS
flags.DEFINE_bool("light", True, "The light model (else full).")
flags.DEFINE_integer("ch", 16, "Base channels.")
flags.DEFINE_integer("size", 128, "Image size.")
flags.DEFINE_bool("xla", True, "Compile the step with XLA (train.py's GPU default).")
flags.DEFINE_integer("warm_runs", 2, "Runs after the cold one, from its cache.")
flags.DEFINE_string("output", str(HERE / "results" / "startup_bench.json"),
                    "Where the rows go (JSON); empty: print only.")
flags.DEFINE_string("child", "", "Internal: run one start-up with this XLA cache folder.")


def child(cache_dir):
    """One start-up, timed by phase; prints its row as JSON."""
    from ugatit_tf import runtime

    runtime.enable_xla_cache(cache_dir)
    import tensorflow as tf
    imported = time.perf_counter()
    from train_rows import trainer_on_constant_batch

    with tempfile.TemporaryDirectory() as workdir:
        trainer, iterator, _ = trainer_on_constant_batch(
            None, workdir, 1, jit_compile=FLAGS.xla, model=(FLAGS.light, FLAGS.ch, FLAGS.size))
        built = time.perf_counter()
        concrete = trainer._loop.get_concrete_function(iterator, tf.constant(0))
        traced = time.perf_counter()
        trainer._loop(iterator, tf.constant(0))
        instantiated = time.perf_counter()
        metrics, _ = trainer._loop(iterator, tf.constant(1))
        loss = float(metrics["D_loss"])
        stepped = time.perf_counter()
    functions = concrete.graph._functions.values()  # the step is the largest
    graph_ops = max(len(f.graph.get_operations()) for f in functions if hasattr(f, "graph"))
    print(json.dumps({
        "import": imported - _PROCESS_START, "build": built - imported,
        "trace": traced - built, "instantiate": instantiated - traced,
        "first_step": stepped - instantiated, "total": stepped - _PROCESS_START,
        "graph_ops": graph_ops, "D_loss": loss}), flush=True)


def main(argv):
    del argv
    if FLAGS.child:
        return child(FLAGS.child)
    model = f"{'light' if FLAGS.light else 'full'} ch {FLAGS.ch}, {FLAGS.size} px"
    rows = []
    with tempfile.TemporaryDirectory() as cache_dir:
        for run in range(1 + FLAGS.warm_runs):
            args = [sys.executable, __file__, f"--child={cache_dir}", f"--ch={FLAGS.ch}",
                    f"--size={FLAGS.size}", f"--light={FLAGS.light}", f"--xla={FLAGS.xla}"]
            out = subprocess.run(args, capture_output=True, text=True,
                                 env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
            if out.returncode:
                raise SystemExit(f"start-up run {run} failed:\n{out.stderr[-3000:]}")
            row = {"run": "cold" if run == 0 else f"warm {run}", **json.loads(
                out.stdout.strip().splitlines()[-1])}
            rows.append(row)
            print(f"{model} {row['run']:>7}: " + ", ".join(
                f"{k} {row[k]:.1f} s" for k in ("import", "build", "trace", "instantiate",
                                                "first_step", "total"))
                  + f" ({row['graph_ops']} ops in the step)", flush=True)
    if FLAGS.output:
        Path(FLAGS.output).write_text(json.dumps(
            {"model": model, "xla": FLAGS.xla, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    app.run(main)
