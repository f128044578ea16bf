"""Trains U-GAT-IT.

    python train.py --config=configs/demo.py             # CPU demo on built-in data
    python train.py --dataset cat2dog                    # paper settings, dataset/cat2dog
    python train.py --config=configs/light.py --dataset tfds:horse2zebra

Re-running the same command resumes from the newest checkpoint in --workdir that
restores (`--checkpoint` picks another). SIGTERM or Ctrl-C saves a checkpoint after the
current loop and exits 0. `--phase test` translates the test images with the latest
checkpoint (as the official code's `--phase test`) into `<workdir>/test/{A2B,B2A}/`, as
`translate.py --workdir=...` does; see translate.py for other folders.

Bad flags and config values are reported in one line (exit code 2) before TensorFlow
starts and before anything is written.
"""

import errno
import json
import os
import sys

from absl import flags, logging
from ml_collections import config_flags

from ugatit_tf import app_errors, config_validation, dataset_check
from ugatit_tf.app_errors import UserError

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
                           "test split with the latest checkpoint into "
                           "<workdir>/test/{A2B,B2A}/.")
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
_FLOAT32_STATISTICS = flags.DEFINE_bool(
    "float32_statistics", None, "Normalisation arithmetic of a float32 model in float32 "
    "instead of float64 [default: on with GPUs, where TF32 convolutions set the "
    "accuracy and float64 made the H200 step 1.6x slower (bench/RESULTS.md); off on "
    "CPUs, where float64 is what makes float32 training as accurate as PyTorch's "
    "(tests/test_golden.py)].")
_STEPS_PER_LOOP = flags.DEFINE_integer(
    "steps_per_loop", 10, "Iterations per compiled call (logging granularity; SIGTERM "
    "and Ctrl-C take effect at the end of one).")
_CHECKPOINT = flags.DEFINE_string(
    "checkpoint", None, "Resume from this checkpoint prefix (.../ckpt-N) [default: the "
    "newest one of --workdir that restores]; newer ones are moved to "
    "checkpoints/set_aside/, not overwritten.")
_INTER_OP_THREADS = flags.DEFINE_integer(
    "inter_op_threads", None, "Ops run concurrently [default: 1 without a GPU, where two "
    "ops competing for the cores made a step ~1.5x slower; TF's default with GPUs].")


def resolve_config():
    try:
        config = _CONFIG.value
        config.keys()  # config_flags reports a file it could not load on first use
    except OSError as e:
        reason = [line.strip() for line in str(e).splitlines() if line.strip()][-1]
        raise UserError(f"--config={flags.FLAGS['config'].config_filename}: cannot load "
                        f"the config file ({reason})") from None
    if _DATASET.value is not None:
        config.data.dataset = _DATASET.value
    if _DATA_ROOT.value is not None:
        config.data.data_root = _DATA_ROOT.value
    return config


def default_workdir(config):
    """`work_dirs/<dataset>_<light|full>` for U-GAT-IT (as before tasks existed),
    `work_dirs/<dataset>_<task>` for the other families."""
    name = config.data.dataset.replace("tfds:", "tfds_").replace("/", "_")
    task = config.get("task", "ugatit")
    if task == "ugatit":
        return os.path.join("work_dirs", f"{name}_{'light' if config.model.light else 'full'}")
    scheme = f"{config.model.scheme}" if task == "attention_gan" else ""
    return os.path.join("work_dirs", f"{name}_{task}{scheme}")


def lock_dir(workdir):
    """Where this process's work dir lock lives: the work dir, or for a non-chief worker
    of `--strategy=multi_worker` (TF_CONFIG) its scratch folder `tmp_worker/<index>`,
    where the trainer writes its checkpoints, so that the workers of one run do not
    refuse each other."""
    if _STRATEGY.value != "multi_worker":
        return workdir
    task = json.loads(os.environ.get("TF_CONFIG") or "{}").get("task", {})
    cluster = json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster", {})
    chief = task.get("type") == "chief" or ("chief" not in cluster and task.get("index", 0) == 0)
    return workdir if chief else os.path.join(workdir, "tmp_worker", str(task.get("index", 0)))


def validate(config, workdir):
    """The up-front checks: every config value and flag, before TensorFlow starts."""
    task = config.get("task", "ugatit")
    config_validation.check_config(config, config_validation.reference_config(task))
    v = config_validation
    v.check_flag("steps_per_loop", _STEPS_PER_LOOP.value, v.at_least(1))
    v.check_flag("inter_op_threads", _INTER_OP_THREADS.value, v.at_least(0))
    if _PHASE.value == "train":  # before any model is built: fails in a second
        dataset_check.check_dataset(config.data)
    if os.path.exists(workdir) and not os.path.isdir(workdir):
        raise UserError(f"--workdir={workdir} is a file, not a directory")
    if _CHECKPOINT.value is not None:
        if _PHASE.value == "test":
            raise UserError("--checkpoint is for resuming training; with --phase test use "
                            "translate.py --checkpoint=...")
        if not os.path.isfile(_CHECKPOINT.value + ".index"):
            raise UserError(f"--checkpoint={_CHECKPOINT.value}: no checkpoint there "
                            f"({_CHECKPOINT.value}.index does not exist); pass a prefix such "
                            f"as {os.path.join(workdir, 'checkpoints', 'ckpt-1000')}")


def check_resumable(workdir, config):
    """Refuses to resume a work dir whose model differs from the requested one (keys
    that the work dir's config.json predates count as their task's `model_defaults`)."""
    from ugatit_tf import checkpoints, tasks

    if not os.path.exists(os.path.join(workdir, checkpoints.CONFIG_FILE)):
        return
    stored = checkpoints.read_config(workdir)
    defaults = tasks.task_class(stored.get("task", "ugatit")).model_defaults
    previous = {**defaults, **stored.model.to_dict()}
    requested = {**defaults, **json.loads(config.model.to_json())}
    if previous != requested:
        raise UserError(
            f"{workdir} holds a run of another model ({previous}); this command asks for "
            f"{requested}. Use another --workdir, or the same model settings to resume.")


def main(argv):
    del argv
    config = resolve_config()
    workdir = _WORKDIR.value or default_workdir(config)
    validate(config, workdir)
    if _PHASE.value == "test":
        from ugatit_tf import translation
        out, counts = translation.translate_test_split(workdir)
        logging.info("Wrote %d A2B and %d B2A translations (with strips/) to %s",
                     counts["a2b"], counts["b2a"], out)
        return

    from ugatit_tf.workdir_lock import WorkdirLock, describe

    lock = WorkdirLock(lock_dir(workdir))
    previous = lock.acquire()
    if previous:
        logging.warning("%s: the previous run (%s) ended without releasing its lock; "
                        "taking over.", lock.path, describe(previous))
    try:
        train(config, workdir)
    finally:
        lock.release()


def train(config, workdir):
    from ugatit_tf import runtime

    # Before TensorFlow is imported: it reads the XLA flags then.
    cache = runtime.enable_xla_cache(_XLA_CACHE_DIR.value)
    import keras

    from ugatit_tf import checkpoints, distribution
    from ugatit_tf.progress import Phases
    from ugatit_tf.trainer import NonFiniteLossError, Trainer, TrainingLogger, sample_images

    settings = runtime.configure_runtime(_INTER_OP_THREADS.value)
    jit_compile = runtime.default_jit_compile(_XLA.value)
    logging.info("Runtime settings: %s", {**cache, **settings, "xla": jit_compile})
    if _MIXED_PRECISION.value:
        keras.mixed_precision.set_global_policy(f"mixed_{_MIXED_PRECISION.value}")
    strategy = distribution.get_strategy(_STRATEGY.value)
    is_chief = getattr(strategy.extended, "should_checkpoint", True)
    check_resumable(workdir, config)
    logging.info("Config:\n%s", config)

    phases = Phases()
    with phases("building the networks and optimizers"):
        trainer = Trainer(config, workdir, strategy, steps_per_loop=_STEPS_PER_LOOP.value,
                          jit_compile=jit_compile, is_chief=is_chief,
                          float32_statistics=_FLOAT32_STATISTICS.value)
    logging.info("Normalisation arithmetic of float32 models: %s",
                 "float32" if trainer.float32_statistics else "float64")
    with phases("restoring and preparing the training data"):
        start = trainer.restore_or_initialize(_CHECKPOINT.value)
    with phases("preparing the sample images"):
        samples = sample_images(config.data, config.model.image_size) if is_chief else None
    if is_chief:
        try:
            checkpoints.write_config(workdir, config)
        except OSError as e:
            raise UserError(f"cannot write {workdir}/{checkpoints.CONFIG_FILE}: {e.strerror}; "
                            f"pass a writable --workdir") from None
    if start >= config.train.iterations:
        logging.info("%s is already trained to %d iterations.", workdir, start)
        trainer.close()
        return
    logger = None  # only the chief writes samples and logs
    if is_chief:
        logger = TrainingLogger(trainer, samples["A"], samples["B"], config.train.iterations)
        with phases("writing the first sample grids"):
            logger.write_samples(start)
    try:
        with phases("tracing" + (" and XLA-compiling" if jit_compile else "")
                    + " the training step"):
            trainer.prepare()
        logging.info("%s", phases.summary())
        trainer.train(on_loop_end=logger)
    except NonFiniteLossError as e:
        logging.error("%s", e)
        sys.exit(1)
    except KeyboardInterrupt:
        logging.warning("Stopped at step %d; run the same command to resume.",
                        int(trainer.step.numpy()))
        sys.exit(130)
    except OSError as e:  # samples or logs on a full or read-only disk
        if e.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES):
            raise
        raise UserError(f"cannot write to {workdir}: {e.strerror} ({e.filename}); the last "
                        f"checkpoint {trainer.manager.latest_checkpoint} is intact") from None
    finally:
        trainer.close()
    if trainer.stop_signal:
        logging.info("Stopped on %s at step %d with a checkpoint; run the same command to "
                     "resume.", trainer.stop_signal, int(trainer.step.numpy()))
        return
    logging.info("Done: %d iterations. Checkpoints and samples in %s.",
                 config.train.iterations, workdir)


if __name__ == "__main__":
    app_errors.run(main)
