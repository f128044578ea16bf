"""Checkpoint discovery, state-file rebuild and fallback, on small checkpoints in-process.

Issue 15 items 1, 2 and 8; the same through train.py, export.py and translate.py are in
test_training_recovery.py.
"""

import os

import numpy as np
import pytest
import tensorflow as tf

from ugatit_tf import checkpoints
from ugatit_tf.checkpoints import CheckpointError


def small_checkpoint(value=0.0):
    return tf.train.Checkpoint(w=tf.Variable(np.full([64], value, np.float32)),
                               step=tf.Variable(0, dtype=tf.int64))


def write_run(directory, steps=(2, 4, 6), keep=3):
    """Checkpoints of steps `steps` as a CheckpointManager writes them; w = step."""
    ckpt = small_checkpoint()
    manager = tf.train.CheckpointManager(ckpt, directory, max_to_keep=keep)
    for step in steps:
        ckpt.w.assign(np.full([64], step, np.float32))
        ckpt.step.assign(step)
        manager.save(checkpoint_number=step)
    return directory


def data_file(prefix):
    return tf.io.gfile.glob(prefix + ".data-*")[0]


def truncate(prefix):
    path = data_file(prefix)
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)


def flip_byte(prefix):
    path = data_file(prefix)
    with open(path, "r+b") as f:
        f.seek(10)
        byte = f.read(1)
        f.seek(10)
        f.write(bytes([byte[0] ^ 0xFF]))


def names(prefixes):
    return [os.path.basename(p) for p in prefixes]


def test_find_checkpoints_by_step_not_by_name(tmp_path):
    directory = write_run(str(tmp_path), steps=(2, 10, 4))
    assert names(checkpoints.find_checkpoints(directory)) == ["ckpt-2", "ckpt-4", "ckpt-10"]


@pytest.mark.parametrize("damage", ["missing", "garbage", "empty", "stale"])
def test_state_file_is_rebuilt_from_the_files(tmp_path, damage):
    """Item 1: a CheckpointManager over a dir with ckpt-N files but a bad state file
    sees no checkpoint, and a run would start again from 0."""
    directory = write_run(str(tmp_path))
    state = tmp_path / "checkpoint"
    if damage == "missing":
        state.unlink()
    elif damage == "garbage":
        state.write_bytes(b"\xff\xfe not a { proto")
    elif damage == "empty":
        state.write_text("")
    else:  # lists only an older checkpoint
        state.write_text('model_checkpoint_path: "ckpt-2"\nall_model_checkpoint_paths: '
                         '"ckpt-2"\n')
    assert checkpoints.repair_state(directory) is not None
    assert tf.train.latest_checkpoint(directory).endswith("ckpt-6")
    manager = tf.train.CheckpointManager(small_checkpoint(), directory, max_to_keep=3)
    assert names(manager.checkpoints) == ["ckpt-2", "ckpt-4", "ckpt-6"]
    if damage == "garbage":
        assert (tmp_path / "checkpoint.bad").read_bytes().startswith(b"\xff\xfe")
    assert checkpoints.repair_state(directory) is None  # now in order


def test_rebuilt_state_keeps_max_to_keep_working(tmp_path):
    directory = write_run(str(tmp_path))
    (tmp_path / "checkpoint").unlink()
    checkpoints.repair_state(directory)
    ckpt = small_checkpoint()
    manager = tf.train.CheckpointManager(ckpt, directory, max_to_keep=3)
    manager.save(checkpoint_number=8)
    # ckpt-2 is deleted as it would have been without the rebuild.
    assert names(checkpoints.find_checkpoints(directory)) == ["ckpt-4", "ckpt-6", "ckpt-8"]


@pytest.mark.parametrize("damage", [truncate, flip_byte, lambda p: os.remove(data_file(p)),
                                    lambda p: open(p + ".index", "wb").close()],
                         ids=["truncated", "checksum", "data file missing", "empty index"])
def test_fallback_to_the_newest_checkpoint_that_restores(tmp_path, damage, caplog):
    """Item 2: each of these stopped train/export/translate with a raw TF traceback."""
    directory = write_run(str(tmp_path))
    damage(os.path.join(directory, "ckpt-6"))
    ckpt = small_checkpoint()
    with caplog.at_level("WARNING"):
        path = checkpoints.restore_latest(ckpt, directory)
    assert path.endswith("ckpt-4")
    assert int(ckpt.step.numpy()) == 4 and float(ckpt.w.numpy()[0]) == 4.0
    assert "Skipping checkpoint" in caplog.text and "ckpt-6" in caplog.text
    # Set aside (kept), and out of the state, so the continuing run overwrites nothing.
    assert names(checkpoints.find_checkpoints(directory)) == ["ckpt-2", "ckpt-4"]
    kept = tf.io.gfile.glob(os.path.join(directory, "set_aside", "*", "ckpt-6.index"))
    assert len(kept) == 1
    assert tf.train.latest_checkpoint(directory).endswith("ckpt-4")


def test_read_only_use_skips_without_moving(tmp_path):
    directory = write_run(str(tmp_path))
    truncate(os.path.join(directory, "ckpt-6"))
    path = checkpoints.restore_latest(small_checkpoint(), directory, tidy=False)
    assert path.endswith("ckpt-4")
    assert names(checkpoints.find_checkpoints(directory))[-1] == "ckpt-6"  # untouched


def test_no_checkpoint_restores_stops_and_says_what_is_there(tmp_path):
    directory = write_run(str(tmp_path), steps=(2, 4))
    for step in (2, 4):
        truncate(os.path.join(directory, f"ckpt-{step}"))
    with pytest.raises(CheckpointError) as info:
        checkpoints.restore_latest(small_checkpoint(), directory)
    message = str(info.value)
    assert "None of the 2 checkpoints" in message and "ckpt-4:" in message
    assert "Nothing was overwritten" in message and "--checkpoint" in message
    assert names(checkpoints.find_checkpoints(directory)) == ["ckpt-2", "ckpt-4"]


def test_explicit_checkpoint_sets_newer_ones_aside(tmp_path):
    directory = write_run(str(tmp_path))
    ckpt = small_checkpoint()
    path = checkpoints.restore_latest(ckpt, directory,
                                      explicit=os.path.join(directory, "ckpt-2"))
    assert path.endswith("ckpt-2") and int(ckpt.step.numpy()) == 2
    assert names(checkpoints.find_checkpoints(directory)) == ["ckpt-2"]
    assert len(tf.io.gfile.glob(os.path.join(directory, "set_aside", "*", "*.index"))) == 2


def test_explicit_checkpoint_that_does_not_restore_has_no_fallback(tmp_path):
    directory = write_run(str(tmp_path))
    truncate(os.path.join(directory, "ckpt-4"))
    with pytest.raises(CheckpointError, match=r"Could not restore --checkpoint=.*ckpt-4"):
        checkpoints.restore_latest(small_checkpoint(), directory,
                                   explicit=os.path.join(directory, "ckpt-4"))


def test_new_run_has_nothing_to_restore(tmp_path):
    assert checkpoints.restore_latest(small_checkpoint(), str(tmp_path / "none")) is None


def test_checkpoint_of_another_model_is_not_restored(tmp_path):
    directory = write_run(str(tmp_path), steps=(2,))
    other = tf.train.Checkpoint(w=tf.Variable(np.zeros([8], np.float32)),
                                step=tf.Variable(0, dtype=tf.int64))
    with pytest.raises(CheckpointError, match="ckpt-2"):
        checkpoints.restore_latest(other, directory, tidy=False)
