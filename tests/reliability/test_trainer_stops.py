"""The trainer's own side of items 3 and 8, in-process: a stop request at the loop
boundary, and a checkpoint that cannot be written."""

import os
import signal

import pytest
import tensorflow as tf
from testing import mirrored_strategy, tiny_ugatit_config

from ugatit_tf.trainer import CheckpointWriteError, Trainer


def tiny_config(iterations=100):
    return tiny_ugatit_config(iterations, save_freq=2)


def test_a_checkpoint_that_cannot_be_written_is_one_clear_error(tmp_path):
    trainer = Trainer(tiny_config(), str(tmp_path), tf.distribute.OneDeviceStrategy("/cpu:0"),
                      steps_per_loop=2)
    trainer.restore_or_initialize()
    trainer.train(num_steps=2)
    # TF writes ckpt-4 through the folder ckpt-4_temp; a file there makes the write
    # fail inside SaveV2, as a full or read-only disk does.
    (tmp_path / "checkpoints" / "ckpt-4_temp").write_text("")
    with pytest.raises(CheckpointWriteError) as info:
        trainer.train(num_steps=2)
    message = str(info.value)
    assert "Could not write the checkpoint of step 4" in message
    assert "Not a directory" in message and "function_node" not in message
    assert f"({tmp_path}/checkpoints/ckpt-2) is intact" in message
    restored = Trainer(tiny_config(), str(tmp_path / "x"),
                       tf.distribute.OneDeviceStrategy("/cpu:0"))
    restored.checkpoint.restore(str(tmp_path / "checkpoints" / "ckpt-2")
                             ).assert_existing_objects_matched()
    assert int(restored.step.numpy()) == 2


def test_steps_per_loop_0_is_refused():
    with pytest.raises(ValueError, match="steps_per_loop must be an integer >= 1, got 0"):
        Trainer(tiny_config(), "unused", tf.distribute.OneDeviceStrategy("/cpu:0"),
                steps_per_loop=0)


@pytest.mark.slow
def test_all_replicas_stop_together_on_a_signal(tmp_path):
    """Two replicas agree on the stop request (summed over the replicas) and stop at the step
    where it came, with a checkpoint; the process's SIGTERM handler is restored."""
    strategy = mirrored_strategy()  # collective keys of its own (tests/testing.py)
    config = tiny_config()
    config.data.batch_size = 2
    config.train.save_freq = 1000
    trainer = Trainer(config, str(tmp_path), strategy, steps_per_loop=1)
    trainer.restore_or_initialize()
    before = signal.getsignal(signal.SIGTERM)

    def on_loop_end(step, metrics):
        if step == 3:
            os.kill(os.getpid(), signal.SIGTERM)

    assert trainer.train(on_loop_end=on_loop_end) == 3
    assert trainer.stop_signal == "SIGTERM"
    assert trainer.manager.latest_checkpoint.endswith("ckpt-3")
    assert signal.getsignal(signal.SIGTERM) is before
