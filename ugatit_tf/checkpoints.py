"""The training work dir: resolved config, checkpoints, and loading trained networks.

Layout written by the trainer:

    <workdir>/config.json          the resolved config (ml_collections, as JSON)
    <workdir>/checkpoints/ckpt-N   tf.train.Checkpoint: the task's networks (spectral-norm
                                   state included), both optimizers, the step counter
    <workdir>/checkpoints/checkpoint   the CheckpointManager's state file (which ckpt-N
                                   are kept, the newest); rebuilt from the ckpt-N files
                                   when it is missing or unreadable
    <workdir>/checkpoints/set_aside/<time>/   checkpoints a run moved out of its way
                                   (unreadable ones, or newer than a --checkpoint resumed
                                   from), kept rather than deleted or overwritten

Restoring never silently starts over and never stops at the first bad file: the
candidates are every `ckpt-N` found (state file or not), newest first; one that does not
restore (truncated, checksum mismatch, missing data file) is skipped with its reason.
"""

import json
import os
import re
import time

import ml_collections
import tensorflow as tf
from absl import logging

from ugatit_tf.app_errors import UserError

CONFIG_FILE = "config.json"
CHECKPOINT_SUBDIR = "checkpoints"
CHECKPOINT_PREFIX = "ckpt"
STATE_FILE = "checkpoint"
SET_ASIDE_SUBDIR = "set_aside"
_CHECKPOINT_INDEX = re.compile(rf"^{CHECKPOINT_PREFIX}-(\d+)\.index$")


class CheckpointError(UserError):
    """No checkpoint, or none that restores; the message says what is there."""


class NoCheckpointError(CheckpointError, FileNotFoundError):
    """The work dir holds no checkpoint (or no config.json)."""


def write_config(workdir, config):
    os.makedirs(workdir, exist_ok=True)
    path = os.path.join(workdir, CONFIG_FILE)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(config.to_json_best_effort(indent=2, sort_keys=True))
    os.replace(tmp, path)


def read_config(workdir):
    path = os.path.join(workdir, CONFIG_FILE)
    if not os.path.isfile(path):
        raise NoCheckpointError(
            f"{path} does not exist: --workdir must be a directory written by train.py "
            f"(it holds {CONFIG_FILE} and {CHECKPOINT_SUBDIR}/).")
    with open(path) as f:
        return ml_collections.ConfigDict(json.load(f))


def networks_from_config(model_config, dtype=None):
    """U-GAT-IT's six networks of a model config (`tasks.ugatit.networks_from_config`)."""
    from ugatit_tf.tasks.ugatit import networks_from_config as ugatit_networks

    return ugatit_networks(model_config, dtype=dtype)


def variables_by_path(net):
    """`{variable path inside the network: variable}`, e.g. `cam/conv1x1_kernel`."""
    prefix = net.name + "/"
    return {v.path.removeprefix(prefix): v for v in net.variables}


def make_checkpoint(nets, **extra):
    """A tf.train.Checkpoint of the six networks' variables plus `extra` trackables.

    Each network is saved as a mapping of its variable paths (Keras 3 layers kept in
    Python lists are invisible to TF's object graph, so the models are not passed
    directly), under the official network names.
    """
    return tf.train.Checkpoint(
        **{name: variables_by_path(net) for name, net in nets.items()}, **extra)


def checkpoint_dir(workdir):
    return os.path.join(workdir, CHECKPOINT_SUBDIR)


def latest_checkpoint(workdir):
    """The newest checkpoint prefix of `workdir` (by step, whatever the state file says)."""
    found = find_checkpoints(checkpoint_dir(workdir))
    if not found:
        raise NoCheckpointError(
            f"No checkpoint in {checkpoint_dir(workdir)}: train first "
            f"(python train.py --workdir={workdir}) or pass --checkpoint.")
    return found[-1]


def checkpoint_step(path):
    """N of a `.../ckpt-N` prefix, or None."""
    match = _CHECKPOINT_INDEX.match(os.path.basename(path) + ".index")
    return int(match.group(1)) if match else None


def find_checkpoints(directory):
    """The `ckpt-N` prefixes in `directory` that have an index file, oldest first.

    Found from the files, not from the state file, which may be missing or stale.
    """
    if not tf.io.gfile.isdir(directory):
        return []
    steps = sorted(int(m.group(1)) for m in map(_CHECKPOINT_INDEX.match,
                                                tf.io.gfile.listdir(directory)) if m)
    return [os.path.join(directory, f"{CHECKPOINT_PREFIX}-{n}") for n in steps]


def _read_state(directory):
    """`(kept prefixes, None)` from the state file, or `(None, why it cannot be used)`."""
    path = os.path.join(directory, STATE_FILE)
    if not tf.io.gfile.exists(path):
        return None, "missing"
    from google.protobuf import text_format
    from tensorflow.python.checkpoint import checkpoint_management

    try:
        with tf.io.gfile.GFile(path) as f:
            state = text_format.Parse(f.read(), checkpoint_management.CheckpointState())
    except (text_format.ParseError, UnicodeDecodeError, tf.errors.OpError) as e:
        return None, f"unreadable ({type(e).__name__}: {e})"
    if not state.model_checkpoint_path:
        return None, "empty"
    return [p if os.path.isabs(p) else os.path.join(directory, p)
            for p in state.all_model_checkpoint_paths], None


def write_state(directory, prefixes):
    """Writes the state file listing `prefixes` (oldest first), atomically.

    Each entry gets its index file's time, as the CheckpointManager records it: the
    manager deletes only entries newer than `last_preserved_timestamp`, so that
    `keep_checkpoints` still applies to the listed ones.
    """
    names = [os.path.basename(p) for p in prefixes]
    times = [tf.io.gfile.stat(p + ".index").mtime_nsec / 1e9 for p in prefixes]
    lines = [f'model_checkpoint_path: "{names[-1]}"']
    lines += [f'all_model_checkpoint_paths: "{n}"' for n in names]
    lines += [f"all_model_checkpoint_timestamps: {t!r}" for t in times]
    lines.append(f"last_preserved_timestamp: {min(times) - 1.0!r}")
    path = os.path.join(directory, STATE_FILE)
    tmp = path + ".tmp"
    with tf.io.gfile.GFile(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    tf.io.gfile.rename(tmp, path, overwrite=True)


def repair_state(directory):
    """Rebuilds the state file from the `ckpt-N` files when it is missing, unreadable
    or does not list the newest one, so that a CheckpointManager never mistakes a work
    dir with checkpoints for a new run. Keeps an unreadable file as `checkpoint.bad`.

    Returns:
        The reason it was rebuilt, or None when it was fine (or there is no checkpoint).
    """
    found = find_checkpoints(directory)
    if not found:
        return None
    listed, problem = _read_state(directory)
    if problem is None and found[-1] in listed:
        return None
    if problem is None:
        problem = f"did not list the newest checkpoint {os.path.basename(found[-1])}"
    elif problem.startswith("unreadable"):
        state = os.path.join(directory, STATE_FILE)
        tf.io.gfile.rename(state, state + ".bad", overwrite=True)
    write_state(directory, found)
    logging.warning(
        "The checkpoint state file %s was %s: rebuilt it from the checkpoint files found "
        "(%s; newest %s).", os.path.join(directory, STATE_FILE), problem,
        ", ".join(os.path.basename(p) for p in found), os.path.basename(found[-1]))
    return problem


def _short_reason(error):
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


def restore(checkpoint, candidates, explicit=False, networks_only=False):
    """Restores `checkpoint` from the first of `candidates` that restores completely.

    Args:
        checkpoint: a `tf.train.Checkpoint` (every object it tracks must be restored).
        candidates: checkpoint prefixes, preferred first (newest first).
        explicit: the one candidate was named by the user: no fallback.
        networks_only: the file may hold more than `checkpoint` tracks (optimizer
            slots, the step), which is left out.

    Returns:
        `(restored prefix, [(skipped prefix, reason), ...])`.

    Raises:
        CheckpointError: none of them restores; the message lists each with its reason.
    """
    skipped = []
    for path in candidates:
        if not tf.io.gfile.exists(path + ".index"):
            skipped.append((path, f"{path}.index does not exist"))
            continue
        try:
            status = checkpoint.restore(path)
            if networks_only:
                status.expect_partial()
            status.assert_existing_objects_matched()
        except Exception as e:  # noqa: BLE001 - a truncated file raises IndexError, a
            # bad checksum DataLossError, a mismatch AssertionError: none is usable
            skipped.append((path, _short_reason(e)))
            if not explicit:
                logging.warning("Skipping checkpoint %s: it does not restore (%s).", path,
                                skipped[-1][1])
            continue
        return path, skipped
    listing = "; ".join(f"{os.path.basename(p)}: {r}" for p, r in skipped)
    if explicit:
        raise CheckpointError(f"Could not restore --checkpoint={candidates[0]}: {listing}.")
    raise CheckpointError(
        f"None of the {len(skipped)} checkpoints in {os.path.dirname(candidates[0])} "
        f"restores ({listing}). Nothing was overwritten. Pass --checkpoint=<an intact "
        f"ckpt-N prefix>, or move the checkpoints away to start over.")


def set_aside(prefixes, directory, why):
    """Moves the files of checkpoints `prefixes` to `<directory>/set_aside/<time>/`.

    Returns:
        The folder they were moved to (None when `prefixes` is empty).
    """
    if not prefixes:
        return None
    target = os.path.join(directory, SET_ASIDE_SUBDIR, time.strftime("%Y%m%d-%H%M%S"))
    tf.io.gfile.makedirs(target)
    for prefix in prefixes:
        for path in tf.io.gfile.glob(prefix + ".*"):
            tf.io.gfile.rename(path, os.path.join(target, os.path.basename(path)),
                               overwrite=True)
    logging.warning("Moved %s (%s) to %s; they are kept, not overwritten.",
                    ", ".join(os.path.basename(p) for p in prefixes), why, target)
    return target


def restore_latest(checkpoint, directory, explicit=None, tidy=True):
    """Resumes a run: restores `checkpoint` from `explicit` or the newest intact
    checkpoint of `directory`, and (with `tidy`) puts the directory in order for the
    run that continues from it.

    With `tidy`, the checkpoints that did not restore, and those newer than `explicit`,
    are set aside (`set_aside`) so that the continuing run overwrites none of them, and
    the state file then lists what is left.

    Returns:
        The restored prefix, or None when `directory` holds no checkpoint (a new run).
    """
    if tidy:
        repair_state(directory)
    found = find_checkpoints(directory)
    if explicit:
        path, _ = restore(checkpoint, [explicit], explicit=True)
        step = checkpoint_step(path)
        newer = [p for p in found if step is None or checkpoint_step(p) > step]
        if tidy and newer:
            set_aside(newer, directory, f"newer than --checkpoint={explicit}")
    elif not found:
        return None
    else:
        path, skipped = restore(checkpoint, found[::-1])
        if tidy and skipped:
            set_aside([p for p, _ in skipped], directory, "they do not restore")
    if tidy:
        left = find_checkpoints(directory)
        if left:
            write_state(directory, left)
    return path


def load_task(workdir, checkpoint=None, dtype=None):
    """Builds the task of `<workdir>/config.json` and restores its networks' weights.

    Args:
        workdir: a training work dir (of any task; "ugatit" when config.json names none).
        checkpoint: a checkpoint prefix (`.../ckpt-N`); by default the newest one that
            restores (newer ones that do not are skipped with a warning).

    Returns:
        `(task, config)`.
    """
    task, config, _ = restore_task(workdir, checkpoint, dtype)
    return task, config


def restore_task(workdir, checkpoint=None, dtype=None):
    """`load_task`, also returning the checkpoint prefix restored."""
    from ugatit_tf import tasks

    config = read_config(workdir)
    task = tasks.get_task(config, dtype=dtype)
    nets = task.networks
    if checkpoint:
        candidates = [checkpoint]
    else:
        latest_checkpoint(workdir)  # raises NoCheckpointError when there is none
        candidates = find_checkpoints(checkpoint_dir(workdir))[::-1]
    try:
        path, skipped = restore(make_checkpoint(nets), candidates, explicit=bool(checkpoint),
                                networks_only=True)
    except CheckpointError as e:
        raise CheckpointError(
            f"{e} (the networks come from {os.path.join(workdir, CONFIG_FILE)}: is the "
            f"checkpoint from this work dir's run?)") from None
    if skipped:
        logging.warning("Using %s: the newer %s did not restore.", path,
                        ", ".join(os.path.basename(p) for p, _ in skipped))
    return task, config, path
