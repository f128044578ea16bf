"""The training step with its speed switches on and off, each setting in its own process,
alternating, on this machine's default device (CPU here; gpu_bench.py's trace variants
do the same on the GPU).

    python bench/step_switches.py                       # light ch 16, 128 px, 2 rounds
    python bench/step_switches.py --ch=32 --rounds=1 --settings=both,none

Settings: `both` (the defaults), `none` (neither of the next two), `batchedD` (only the
D update's real and fake calls batched, `UGATITTask.batch_discriminator_calls`),
`onepassLIN` (only the one-pass LIN/AdaLIN, `normalization.fused_layer_instance_norm`)
`unbatchedG` (the defaults but each generator's translation and identity calls
apart, `UGATITTask.batch_translations` off) and
`matmulconvs` (the defaults with every conv that can run as a windows matmul on this
machine's device type, `windows_matmul.convs_as_matmul`). Each row is the
median of `--calls` timed loop calls of `--steps` iterations of the real Trainer step
(graph mode, one constant batch: `train_rows.trainer_on_constant_batch`), after a
one-iteration call that traces it and `common.median_ms`'s warm-up call.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from absl import app, flags

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

# setting -> (batch_discriminator_calls, fused_layer_instance_norm, batch_translations,
#             convs_as_matmul)
SETTINGS = {"both": (True, True, True, False),
            "none": (False, False, True, False),
            "batchedD": (True, False, True, False),
            "onepassLIN": (False, True, True, False),
            "unbatchedG": (True, True, False, False),
            "matmulconvs": (True, True, True, True)}

FLAGS = flags.FLAGS
flags.DEFINE_list("settings", list(SETTINGS), f"Of {list(SETTINGS)}, run in this order.")
flags.DEFINE_integer("rounds", 2, "How many times the settings run, alternating.")
flags.DEFINE_bool("light", True, "The light model.")
flags.DEFINE_integer("ch", 16, "Base channels.")
flags.DEFINE_integer("size", 128, "Image size.")
flags.DEFINE_integer("steps", 4, "Iterations per timed call.")
flags.DEFINE_integer("calls", 5, "Timed calls.")
flags.DEFINE_string("child", None, "Internal: time one setting in this process.")


def time_setting(name):
    """Median ms/iter of one setting, in this process."""
    from ugatit_tf import runtime

    runtime.configure_runtime()
    import tensorflow as tf
    from common import median_ms
    from train_rows import trainer_on_constant_batch

    from ugatit_tf.layers import normalization, windows_matmul

    batched, one_pass, translations, as_matmul = SETTINGS[name]
    matmul_devices = ("GPU" if runtime.has_gpu() else "CPU",) if as_matmul else ()
    with tempfile.TemporaryDirectory() as workdir:
        trainer, iterator, _ = trainer_on_constant_batch(
            None, workdir, FLAGS.steps, model=(FLAGS.light, FLAGS.ch, FLAGS.size))
        trainer.task.batch_discriminator_calls = batched
        trainer.task.batch_translations = translations
        with (normalization.fused_layer_instance_norm(one_pass),  # read while tracing
              windows_matmul.convs_as_matmul(*matmul_devices)):
            trainer.prepare(iterator)
            metrics, _ = trainer._loop(iterator, tf.constant(1))
            float(metrics["G_loss"])
        steps = tf.constant(FLAGS.steps)
        loop = lambda: float(trainer._loop(iterator, steps)[0]["G_loss"])  # noqa: E731
        return median_ms(loop, FLAGS.calls) / FLAGS.steps


def main(argv):
    del argv
    if FLAGS.child:
        print(f"RESULT {time_setting(FLAGS.child):.1f}", flush=True)
        return
    unknown = set(FLAGS.settings) - set(SETTINGS)
    if unknown:
        raise app.UsageError(f"Unknown settings {sorted(unknown)}: use {list(SETTINGS)}.")
    passed = [a for a in sys.argv[1:] if not a.startswith("--settings")]
    results = {name: [] for name in FLAGS.settings}
    for _ in range(FLAGS.rounds):
        for name in FLAGS.settings:
            out = subprocess.run([sys.executable, __file__, *passed, f"--child={name}"],
                                 capture_output=True, text=True, check=True).stdout
            ms = float(next(line for line in out.splitlines()
                            if line.startswith("RESULT ")).split()[1])
            results[name].append(ms)
            print(f"{name:12s} {ms:8.1f} ms/iter", flush=True)
    print(f"\n{'light' if FLAGS.light else 'full'} ch {FLAGS.ch}, {FLAGS.size} px, "
          "ms/iter per round:")
    for name, values in results.items():
        print(f"{name:12s} " + "  ".join(f"{v:8.1f}" for v in values))


if __name__ == "__main__":
    app.run(main)
