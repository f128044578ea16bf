"""Trains U-GAT-IT.

    python train.py --config=configs/demo.py             # CPU demo on built-in data
    python train.py --dataset cat2dog                    # paper settings, dataset/cat2dog
    python train.py --config=configs/light.py --dataset tfds:horse2zebra

Re-running the same command resumes from the latest checkpoint in --workdir.
`--phase test` translates the test images with the latest checkpoint (as the official
code's `--phase test`); see translate.py for other folders.
"""

import json
import os
import sys

from absl import app, flags, logging
from ml_collections import config_flags

_CONFIG = config_flags.DEFINE_config_file(
    "config", "configs/default.py", "Config file (override values with --config.x.y=...).")
_WORKDIR = flags.DEFINE_string(
    "workdir", None, "Checkpoints, samples, logs and config.json go here "
    "[default: work_dirs/<dataset>_<light|full>].")
_DATASET = flags.DEFINE_string(
    "dataset", None, "A folder under --data_root (trainA, trainB, testA, testB), "
    "'tfds:<cycle_gan config>' or 'synthetic' [default: the config's].")
_DATA_ROOT = flags.DEFINE_string("data_root", None, "Folder holding the datasets.")
_PHASE = flags.DEFINE_enum("phase", "train", ["train", "test"], "Train, or translate the "
                           "test split with the latest checkpoint.")
_STRATEGY = flags.DEFINE_enum(
    "strategy", "auto", ["auto", "mirrored", "multi_worker", "one_device"],
    "tf.distribute strategy; 'auto' mirrors over all GPUs when there are several.")
_MIXED_PRECISION = flags.DEFINE_enum(
    "mixed_precision", None, ["bfloat16", "float16"], "Compute in this dtype "
    "(statistics, losses and weights stay float32).")
_XLA = flags.DEFINE_bool(
    "xla", None, "Compile the training step with XLA [default: on with a GPU, off "
    "without; --noxla turns it off].")
_XLA_CACHE_DIR = flags.DEFINE_string(
    "xla_cache_dir", None, "Keep XLA's compiled step and GPU autotuning results here "
    "across runs ('' for none) [default: ~/.cache/ugatit_tf/xla].")
_STEPS_PER_LOOP = flags.DEFINE_integer(
    "steps_per_loop", 10, "Iterations per compiled call (logging granularity).")
_INTER_OP_THREADS = flags.DEFINE_integer(
    "inter_op_threads", None, "Ops run concurrently [default: 1 without a GPU, where two "
    "ops competing for the cores made a step ~1.5x slower; TF's default with GPUs].")


def resolve_config():
    config = _CONFIG.value
    if _DATASET.value is not None:
        config.data.dataset = _DATASET.value
    if _DATA_ROOT.value is not None:
        config.data.data_root = _DATA_ROOT.value
    return config


def default_workdir(config):
    name = config.data.dataset.replace("tfds:", "tfds_").replace("/", "_")
    return os.path.join("work_dirs", f"{name}_{'light' if config.model.light else 'full'}")


def check_resumable(workdir, config):
    """Refuses to resume a work dir whose model differs from the requested one."""
    from ugatit_tf import checkpoints

    if not os.path.exists(os.path.join(workdir, checkpoints.CONFIG_FILE)):
        return
    previous = checkpoints.read_config(workdir).model.to_dict()
    requested = json.loads(config.model.to_json())
    if previous != requested:
        raise app.UsageError(
            f"{workdir} holds a run of another model ({previous}); this command asks for "
            f"{requested}. Use another --workdir, or the same model settings to resume.")


def main(argv):
    del argv
    from ugatit_tf import runtime

    # Before TensorFlow is imported: it reads the XLA flags then.
    cache = runtime.enable_xla_cache(_XLA_CACHE_DIR.value)
    import keras

    from ugatit_tf import checkpoints, distribution
    from ugatit_tf.data import DatasetError
    from ugatit_tf.trainer import NonFiniteLossError, Trainer, TrainingLogger, sample_images

    config = resolve_config()
    workdir = _WORKDIR.value or default_workdir(config)
    if _PHASE.value == "test":
        from ugatit_tf import translation
        out = translation.translate_test_split(workdir, os.path.join(workdir, "test"))
        logging.info("Wrote translations to %s", out)
        return

    settings = runtime.configure_runtime(_INTER_OP_THREADS.value)
    jit_compile = runtime.default_jit_compile(_XLA.value)
    logging.info("Runtime settings: %s", {**cache, **settings, "xla": jit_compile})
    if _MIXED_PRECISION.value:
        keras.mixed_precision.set_global_policy(f"mixed_{_MIXED_PRECISION.value}")
    strategy = distribution.get_strategy(_STRATEGY.value)
    is_chief = getattr(strategy.extended, "should_checkpoint", True)
    check_resumable(workdir, config)
    logging.info("Config:\n%s", config)

    trainer = Trainer(config, workdir, strategy, steps_per_loop=_STEPS_PER_LOOP.value,
                      jit_compile=jit_compile, is_chief=is_chief)
    try:
        start = trainer.restore_or_initialize()
        samples = sample_images(config.data, config.model.image_size) if is_chief else None
    except DatasetError as e:
        logging.error("%s", e)
        sys.exit(2)
    if is_chief:
        checkpoints.write_config(workdir, config)
    if start >= config.train.iterations:
        logging.info("%s is already trained to %d iterations.", workdir, start)
        trainer.close()
        return
    logger = None  # only the chief writes samples and logs
    if is_chief:
        logger = TrainingLogger(trainer, samples["A"], samples["B"], config.train.iterations)
        logger.write_samples(start)
    try:
        trainer.train(on_loop_end=logger)
    except NonFiniteLossError as e:
        logging.error("%s", e)
        sys.exit(1)
    except KeyboardInterrupt:
        logging.warning("Stopped at step %d; run the same command to resume.",
                        int(trainer.step.numpy()))
        sys.exit(130)
    finally:
        trainer.close()
    logging.info("Done: %d iterations. Checkpoints and samples in %s.",
                 config.train.iterations, workdir)


if __name__ == "__main__":
    app.run(main)
