"""The training loop: distribution, resumption, schedule, rho clipping, NaN guard."""

import numpy as np
import pytest
import tensorflow as tf
from testing import mirrored_strategy, tiny_ugatit_config

from ugatit_tf import runtime
from ugatit_tf.schedules import HalfConstantLinearDecay
from ugatit_tf.trainer import NonFiniteLossError, Trainer


def tiny_config(iterations=8):
    return tiny_ugatit_config(iterations, save_freq=4, synthetic_size=16, batch_size=2)


def weights(trainer):
    return [v.numpy() for _, net in trainer.nets.items() for v in net.variables]


def assert_same_weights(a, b, atol):
    assert len(a) == len(b)
    worst = max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))
    assert worst <= atol, f"weights differ by {worst}"
    return worst


def one_device():
    return tf.distribute.OneDeviceStrategy("/cpu:0")


@pytest.mark.slow
def test_mirrored_step_equals_single_device_step(tmp_path):
    """Two replicas with a batch of 1 each give the weights of one device with 2."""
    config = tiny_config()
    mirrored = Trainer(config, str(tmp_path / "m"), mirrored_strategy(), steps_per_loop=1)
    single = Trainer(config, str(tmp_path / "s"), one_device(), steps_per_loop=1)
    before = weights(single)
    assert_same_weights(weights(mirrored), before, 0.0)
    mirrored.train(num_steps=1)
    single.train(num_steps=1)
    moved = max(float(np.max(np.abs(x - y))) for x, y in zip(weights(single), before))
    assert moved > 1e-6  # the step did something
    # The all-reduce sums per-replica gradients in another order than one device's
    # batch reduction: float32 rounding only, 1% of Adam's ~1e-4 (lr) first step.
    assert_same_weights(weights(mirrored), weights(single), atol=1e-6)


@pytest.mark.slow
def test_resumed_run_equals_uninterrupted_run(tmp_path):
    config = tiny_config(iterations=8)
    straight = Trainer(config, str(tmp_path / "a"), one_device(), steps_per_loop=2)
    straight.train()

    first = Trainer(config, str(tmp_path / "b"), one_device(), steps_per_loop=2)
    first.train(num_steps=4)  # saves at step 4 (save_freq)
    resumed = Trainer(config, str(tmp_path / "b"), one_device(), steps_per_loop=2)
    assert resumed.restore_or_initialize() == 4
    resumed.train()
    assert int(resumed.step.numpy()) == 8
    assert_same_weights(weights(resumed), weights(straight), atol=0.0)


def test_learning_rate_schedule_matches_pytorch_loop():
    lr, iterations = 1e-4, 10
    schedule = HalfConstantLinearDecay(lr, iterations)
    # PT: before step s (1-based) > iterations // 2, lr -= lr / (iterations // 2).
    expected, current = [], lr
    for s in range(1, iterations + 1):
        if s > iterations // 2:
            current -= lr / (iterations // 2)
        expected.append(current)
    actual = [float(schedule(k)) for k in range(iterations)]
    np.testing.assert_allclose(actual, expected, atol=1e-12)
    assert float(HalfConstantLinearDecay(lr, iterations, decay=False)(9)) == pytest.approx(lr)


def test_rho_is_clipped_after_generator_updates(tmp_path):
    config = tiny_config()
    config.train.learning_rate = 1.0  # large steps push rho out of [0, 1]
    trainer = Trainer(config, str(tmp_path), one_device(), steps_per_loop=2)
    rhos = [v for v in trainer.gen_variables if v.path.endswith("/rho")]
    assert rhos
    trainer.train(num_steps=2)
    values = np.concatenate([v.numpy() for v in rhos])
    assert values.min() >= 0.0 and values.max() <= 1.0
    assert np.any((values == 0.0) | (values == 1.0))  # the clip was active


def test_nan_loss_stops_and_keeps_last_checkpoint(tmp_path):
    config = tiny_config(iterations=8)
    trainer = Trainer(config, str(tmp_path), one_device(), steps_per_loop=2)
    trainer.train(num_steps=4)
    good = trainer.manager.latest_checkpoint
    kernel = trainer.nets["genA2B"].get_layer("head_conv").kernel
    kernel.assign(np.full(kernel.shape, np.nan, np.float32))
    with pytest.raises(NonFiniteLossError, match="NaN or Inf"):
        trainer.train()
    assert trainer.manager.latest_checkpoint == good
    assert int(trainer.step.numpy()) == 6  # the failed loop ran, nothing was saved
    trainer.checkpoint.restore(good).assert_existing_objects_matched()
    assert int(trainer.step.numpy()) == 4
    assert all(np.all(np.isfinite(w)) for w in weights(trainer))


def test_prepare_builds_the_loop_without_a_step_or_a_batch(tmp_path):
    config = tiny_config()
    prepared = Trainer(config, str(tmp_path / "p"), one_device(), steps_per_loop=2)
    before = weights(prepared)
    prepared.prepare()
    prepared.prepare()  # once only
    assert int(prepared.step.numpy()) == 0
    assert_same_weights(weights(prepared), before, atol=0.0)
    prepared.train(num_steps=2)
    assert prepared._loop.experimental_get_tracing_count() == 1  # train reused it

    # The same two steps run directly, without prepare: the same first two batches.
    direct = Trainer(config, str(tmp_path / "d"), one_device(), steps_per_loop=2)
    direct._loop(direct._data_iterator(), tf.constant(2))
    assert int(direct.step.numpy()) == int(prepared.step.numpy()) == 2
    assert_same_weights(weights(prepared), weights(direct), atol=0.0)


def test_float32_statistics_switch_traces_float32_normalisation(tmp_path):
    """`float32_statistics` (train.py --float32_statistics) takes every float64 tensor
    op out of the step (what is left is the optimizer's and schedule's scalar float64
    arithmetic), the losses stay those of the default to float32 rounding, and by
    default it is off on a CPU."""
    config = tiny_config()
    batch = tf.constant(np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)), tf.float32)

    def float64_tensor_ops_and_losses(name, switch):
        trainer = Trainer(config, str(tmp_path / name), one_device(),
                          float32_statistics=switch)
        step = tf.function(trainer._replica_losses)
        graph = step.get_concrete_function(batch, batch).graph
        wide = [op for op in graph.get_operations()
                if any(t.dtype == tf.float64 and t.shape.rank for t in op.outputs)]
        return trainer.float32_statistics, len(wide), step(batch, batch).numpy()

    default_switch, default_ops, default_losses = float64_tensor_ops_and_losses("default", None)
    assert default_switch is False  # a CPU: float64 normalisation arithmetic
    fast_switch, fast_ops, fast_losses = float64_tensor_ops_and_losses("fast", True)
    assert fast_switch is True
    assert default_ops > 100 and fast_ops == 0, (default_ops, fast_ops)
    # The same weights (one seed) and batch: the first step's losses differ only by the
    # rounding of float32 statistics (~1e-7 relative each, summed over a few layers).
    np.testing.assert_allclose(fast_losses, default_losses, rtol=1e-5)


def test_float32_statistics_default_follows_the_replicas_device():
    """None: float32 normalisation arithmetic where the replicas are GPUs (TF32 sets the
    accuracy there), float64 on CPUs; an explicit value wins."""

    class Extended:
        def __init__(self, devices):
            self.worker_devices = devices

    class Strategy:
        def __init__(self, *devices):
            self.extended = Extended(devices)

    gpus = Strategy("/job:localhost/replica:0/task:0/device:GPU:0",
                    "/job:localhost/replica:0/task:0/device:GPU:1")
    cpu = Strategy("/job:localhost/replica:0/task:0/device:CPU:0")
    assert runtime.default_float32_statistics(gpus) is True
    assert runtime.default_float32_statistics(cpu) is False
    assert runtime.default_float32_statistics(one_device()) is False
    assert runtime.default_float32_statistics(gpus, False) is False
    assert runtime.default_float32_statistics(cpu, True) is True
