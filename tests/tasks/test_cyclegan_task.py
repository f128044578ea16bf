"""CycleGANTask: the interface, one replica against two, the schedule, samples."""

import ml_collections
import numpy as np
import pytest
import tensorflow as tf
from testing import built_optimizers, mirrored_strategy

from configs.cyclegan import default as default_config
from configs.cyclegan import demo as demo_config
from ugatit_tf.schedules import ConstantThenLinearDecay
from ugatit_tf.tasks import get_task
from ugatit_tf.tasks.cyclegan import TERMS, CycleGANTask

SIZE = 32


def tiny_config(identity=0.5, pool_size=50):
    """4 filters, 1 block, 32 px: seconds per step on 2 cores."""
    config = default_config.get_config()
    config.model = ml_collections.ConfigDict(dict(
        base_filters=4, disc_base_filters=4, num_res_blocks=1, disc_layers=3,
        image_size=SIZE))
    config.loss.identity = identity
    config.loss.pool_size = pool_size
    config.train.constant_iterations = 2
    config.train.decay_iterations = 3
    return config


def images(batch, seed):
    rng = np.random.default_rng(seed)
    return tf.constant(rng.uniform(-1, 1, (batch, SIZE, SIZE, 3)).astype(np.float32))


def weights(task):
    return {f"{k}/{v.path}": np.asarray(v.numpy()) for k, n in task.networks.items()
            for v in n.weights}


def test_interface():
    task = get_task(tiny_config())
    assert isinstance(task, CycleGANTask)
    assert list(task.networks) == ["G_A", "G_B", "D_A", "D_B"]
    assert task.generators == {"a2b": task.networks["G_A"], "b2a": task.networks["G_B"]}
    assert task.generator_networks == [task.networks["G_A"], task.networks["G_B"]]
    assert task.discriminator_networks == [task.networks["D_A"], task.networks["D_B"]]
    assert task.metric_names[:2] == ("D_loss", "G_loss")
    assert set(task.metric_names[2:]) == {f"loss_{kind}_{d}" for kind in
                                          ("D", "G", "cycle", "idt") for d in "AB"}
    assert set(task.checkpoint_state()) == {"fake_A_pool", "fake_B_pool"}


def test_train_step_terms_and_totals():
    task = CycleGANTask(tiny_config())
    a, b = images(2, 0), images(2, 1)
    optimizers = built_optimizers(task)
    metrics = tf.function(lambda: task.train_step(a, b, optimizers))()
    assert tuple(metrics) == task.metric_names
    m = {k: float(v) for k, v in metrics.items()}
    assert m["D_loss"] == pytest.approx(m["loss_D_A"] + m["loss_D_B"], rel=1e-6)
    assert m["G_loss"] == pytest.approx(sum(m[k] for k in TERMS if "_D_" not in k), rel=1e-6)
    assert all(np.isfinite(list(m.values()))) and m["loss_idt_A"] > 0
    # fakes of a freshly initialised generator are stored in the pools
    assert int(task.fake_a_pool.count[0]) == 2 and int(task.fake_b_pool.count[0]) == 2


def test_no_identity_terms_at_zero_weight():
    task = CycleGANTask(tiny_config(identity=0.0))
    metrics = task.train_step(images(1, 0), images(1, 1), built_optimizers(task))
    assert float(metrics["loss_idt_A"]) == float(metrics["loss_idt_B"]) == 0.0


def test_two_replicas_match_one_on_the_global_batch():
    a, b = tf.cast(images(2, 0), tf.float64), tf.cast(images(2, 1), tf.float64)
    tf.keras.utils.set_random_seed(0)
    # float64: the biases in front of an instance norm have pure round-off gradients,
    # which float32 Adam inflates to lr-sized noise (see test_cyclegan_golden.py).
    single = CycleGANTask(tiny_config(), dtype="float64")
    initial = weights(single)
    optimizers = built_optimizers(single)
    step = tf.function(lambda: single.train_step(a, b, optimizers))
    expected = [step() for _ in range(2)]

    strategy = mirrored_strategy()
    with strategy.scope():
        tf.keras.utils.set_random_seed(0)
        task = CycleGANTask(tiny_config(), dtype="float64")
        replicated = built_optimizers(task)
    for (name, value), (name2, value2) in zip(weights(task).items(), initial.items()):
        assert name == name2
        np.testing.assert_array_equal(value, value2, err_msg="the same initial weights")
    dataset = strategy.experimental_distribute_dataset(
        tf.data.Dataset.from_tensor_slices((a, b)).batch(2).repeat())
    iterator = iter(dataset)

    @tf.function
    def distributed_step(real_a, real_b):
        per_replica = strategy.run(task.train_step, args=(real_a, real_b, replicated),
                                   kwargs={"loss_scale": 0.5})
        return {k: strategy.reduce("MEAN", v, axis=None) for k, v in per_replica.items()}

    for want in expected:
        got = distributed_step(*next(iterator))
        for k in task.metric_names:  # the mean of per-replica means = the global mean
            np.testing.assert_allclose(float(got[k]), float(want[k]), rtol=1e-12, err_msg=k)
    ours = weights(task)
    for name, value in weights(single).items():
        # Two half-batch gradients summed against one batch gradient: float64 rounding,
        # and ~1e-11 of Adam noise on the zero-gradient biases; changes are ~2e-4.
        np.testing.assert_allclose(ours[name], value, rtol=0, atol=1e-9, err_msg=name)


def checkpoint(task, optimizers):
    return tf.train.Checkpoint(**task.networks, **optimizers, **task.checkpoint_state())


def test_resume_continues_the_same_run(tmp_path):
    # A pool of 1 is full after the first step, so later steps draw from its stream.
    a, b = images(1, 0), images(1, 1)
    task = CycleGANTask(tiny_config(pool_size=1))
    optimizers = built_optimizers(task)
    step = tf.function(lambda: task.train_step(a, b, optimizers))
    step()
    path = checkpoint(task, optimizers).save(str(tmp_path / "ckpt"))
    expected = [{k: float(v) for k, v in step().items()} for _ in range(3)]

    tf.keras.utils.set_random_seed(123)  # other initial weights: all must be restored
    resumed = CycleGANTask(tiny_config(pool_size=1))
    resumed_optimizers = built_optimizers(resumed)
    checkpoint(resumed, resumed_optimizers).restore(path).assert_existing_objects_matched()
    step = tf.function(lambda: resumed.train_step(a, b, resumed_optimizers))
    assert [{k: float(v) for k, v in step().items()} for _ in range(3)] == expected
    for name, value in weights(task).items():
        np.testing.assert_array_equal(weights(resumed)[name], value, err_msg=name)


def test_learning_rate_schedule():
    task = CycleGANTask(tiny_config())
    optimizer = task.make_optimizers()["generator"]
    schedule = optimizer._learning_rate
    assert isinstance(schedule, ConstantThenLinearDecay)
    lr = [float(schedule(step)) for step in range(6)]
    # 2 constant steps, then 1 - k/4 for k = 1..3, then 0
    np.testing.assert_allclose(lr, 2e-4 * np.array([1, 1, 0.75, 0.5, 0.25, 0.0]), rtol=1e-12)
    assert optimizer.beta_1 == 0.5 and optimizer.beta_2 == 0.999
    assert optimizer.coupled_weight_decay == 0.0


def test_translate_and_sample_rows():
    task = CycleGANTask(tiny_config())
    x = images(2, 3)
    out = task.translate("a2b", x)
    assert list(out) == ["image"] and out["image"].dtype == tf.float32
    np.testing.assert_array_equal(out["image"], task.networks["G_A"](x))
    rows = task.sample_rows("b2a", x)
    assert len(rows) == 4 and all(r.shape == (2, SIZE, SIZE, 3) for r in rows)
    assert all(r.min() >= 0.0 and r.max() <= 1.0 for r in rows)
    g_a, g_b = task.networks["G_A"], task.networks["G_B"]
    np.testing.assert_allclose(rows[2], (np.asarray(g_a(g_b(x))) + 1) / 2, atol=1e-6)
    np.testing.assert_allclose(rows[3], (np.asarray(g_a(x)) + 1) / 2, atol=1e-6)
    with pytest.raises(ValueError, match="Unknown direction 'x2y'"):
        task.translate("x2y", x)


def test_demo_config_builds():
    config = demo_config.get_config()
    assert config.task == "cyclegan"
    assert config.train.iterations == (config.train.constant_iterations
                                       + config.train.decay_iterations)
    task = get_task(config)
    assert task.networks["G_A"].base_filters == 16
