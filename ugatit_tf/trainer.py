"""The training loop of every task: a compiled multi-step loop under tf.distribute.

The task (`ugatit_tf.tasks`) owns the networks and one official training iteration;
the trainer owns the strategy, the optimizers, the step counter, checkpoints and the
loop. Several iterations run inside one `tf.function` call (`steps_per_loop`), so the
host is not involved per step; logging, samples, checkpoints and the NaN guard run
eagerly between loops.
"""

import math
import os
import re
import time

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from ugatit_tf import checkpoints, data, progress, runtime, stop_signals, tasks, visualization
from ugatit_tf.app_errors import UserError
from ugatit_tf.gradients import XLA_OUTER_PRODUCT_ROWS, outer_product_kernel_gradients
from ugatit_tf.layers import precision
from ugatit_tf.layers.precision import statistics_dtype


class NonFiniteLossError(RuntimeError):
    """A loss became NaN or Inf; the last good checkpoint is left as it was."""


class CheckpointWriteError(UserError):
    """A checkpoint could not be written (read-only or full disk); the previous one is
    left as it was."""


class Trainer:
    """Owns the task, optimizers, checkpoints and logs of one training run.

    Args:
        config: the resolved ml_collections config (`config.task` names the task,
            "ugatit" when absent; see configs/).
        workdir: where config.json, checkpoints/, samples/ and tensorboard/ go.
        strategy: a tf.distribute strategy (see `ugatit_tf.distribution`).
        steps_per_loop: iterations per compiled call.
        jit_compile: compile the training step with XLA.
        is_chief: whether this worker writes samples, logs and the config.
        float32_statistics: float32 models' normalisation arithmetic in float32, not
            float64 (`precision.float32_internals`); None: on GPUs only
            (`runtime.default_float32_statistics` says why: on an H200 the light
            256 px step takes 41.9 instead of 65.9 ms, bench/RESULTS.md); on CPUs
            float64 is what makes float32 training as accurate as PyTorch's
            (tests/test_golden.py).
    """

    def __init__(self, config, workdir, strategy, steps_per_loop=10, jit_compile=False,
                 is_chief=True, float32_statistics=None):
        if not isinstance(steps_per_loop, int) or steps_per_loop < 1:
            raise ValueError(f"steps_per_loop must be an integer >= 1, got {steps_per_loop!r}")
        self.config = config
        self.workdir = workdir
        self.strategy = strategy
        self.steps_per_loop = steps_per_loop
        self.stop_signal = None  # "SIGTERM" / "SIGINT" when train() stopped on one
        self._any_replica = None  # the stop agreement over replicas (_agree_to_stop)
        self.is_chief = is_chief
        self.float32_statistics = runtime.default_float32_statistics(strategy,
                                                                     float32_statistics)
        train = config.train
        keras.utils.set_random_seed(train.seed)  # the same initial weights every run
        with strategy.scope():
            self.task = tasks.get_task(config)
            self.nets = self.task.networks
            self.gen_variables = [v for n in self.task.generator_networks
                                  for v in n.trainable_variables]
            self.disc_variables = [v for n in self.task.discriminator_networks
                                   for v in n.trainable_variables]
            self.optimizers = {k: _loss_scaled(o)
                               for k, o in self.task.make_optimizers().items()}
            self.gen_optimizer = self.optimizers["generator"]
            self.disc_optimizer = self.optimizers["discriminator"]
            self.gen_optimizer.build(self.gen_variables)
            self.disc_optimizer.build(self.disc_variables)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step",
                                    aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

        self._iterator = None  # made at the first train() call, at the resumed step
        # The optimizers keep the names they had before tasks existed, so that older
        # work dirs restore.
        self.checkpoint = checkpoints.make_checkpoint(
            self.nets, step=self.step, gen_optimizer=self.gen_optimizer,
            disc_optimizer=self.disc_optimizer, **self.task.checkpoint_state())
        directory = checkpoints.checkpoint_dir(workdir)
        if not is_chief:  # other workers write to a scratch copy
            directory = os.path.join(workdir, "tmp_worker", str(strategy.cluster_resolver
                                                                  .task_id))
        self._checkpoint_dir = directory
        self.manager = self._checkpoint_manager()
        # XLA compiles the step only: the loop around it reads the data iterator,
        # which has no XLA kernel.
        self._step = (tf.function(self._replica_losses, jit_compile=True) if jit_compile
                      else self._replica_losses)
        # Stacked kernel gradients as outer products that XLA fuses into the optimizer's
        # update (`outer_product_kernel_gradients`); read when the step is
        # traced (bench/gpu_bench.py's `matmulkernelgrad` turns it off).
        self.fuse_kernel_gradients = jit_compile
        self._loop = tf.function(self._train_loop)

    def _checkpoint_manager(self):
        return tf.train.CheckpointManager(self.checkpoint, self._checkpoint_dir,
                                          max_to_keep=self.config.train.keep_checkpoints)

    # ---- compiled part -------------------------------------------------------------

    def _replica_step(self, real_a, real_b):
        """The task's iteration on this replica's batch; returns its losses scaled by
        the replica's share of the global batch (so that their sum is the mean)."""
        scale = 1.0 / self.strategy.num_replicas_in_sync
        internals = "float32" if self.float32_statistics else "float64"
        rows = XLA_OUTER_PRODUCT_ROWS if self.fuse_kernel_gradients else 0
        # read while the step is traced
        with precision.float32_internals(internals), \
                outer_product_kernel_gradients(rows):
            metrics = self.task.train_step(real_a, real_b, self.optimizers,
                                           loss_scale=scale)
        self.step.assign_add(1)
        return {k: tf.cast(metrics[k], self.metric_dtype) * scale
                for k in self.task.metric_names}

    def _replica_losses(self, real_a, real_b):
        """`_replica_step`'s losses as one vector in `metric_names` order: the loop then
        sums one tensor over the replicas and checks one for NaN per iteration, where a
        dict took one reduction and one check per loss (24 small ops outside the XLA
        program per U-GAT-IT iteration: host time on a GPU, bench/RESULTS.md)."""
        metrics = self._replica_step(real_a, real_b)
        return tf.stack([metrics[k] for k in self.task.metric_names])

    @property
    def metric_dtype(self):
        """Losses are reported in float32, or float64 under the float64 policy."""
        return statistics_dtype(self.task.generator_networks[0].compute_dtype)

    def _train_loop(self, iterator, num_steps):
        """Runs `num_steps` iterations; returns the last step's losses and whether every
        step's losses were finite."""
        names = self.task.metric_names
        all_finite = tf.constant(True)
        losses = tf.zeros([len(names)], self.metric_dtype)
        for _ in tf.range(num_steps):
            real_a, real_b = next(iterator)
            per_replica = self.strategy.run(self._step, args=(real_a, real_b))
            losses = self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)
            all_finite = tf.logical_and(all_finite,
                                        tf.reduce_all(tf.math.is_finite(losses)))
        return dict(zip(names, tf.unstack(losses, num=len(names)))), all_finite

    # ---- eager part ----------------------------------------------------------------

    def restore_or_initialize(self, checkpoint=None):
        """Resumes from `checkpoint` or else the newest checkpoint of the work dir that
        restores (`checkpoints.restore_latest`: never a fresh start over existing
        checkpoints), and opens the data stream at that step (so bad data is reported
        now); returns the step.

        Raises:
            checkpoints.CheckpointError: the work dir holds checkpoints but none
                restores, or `checkpoint` does not.
        """
        path = checkpoints.restore_latest(self.checkpoint, self._checkpoint_dir,
                                          explicit=checkpoint, tidy=self.is_chief)
        self.manager = self._checkpoint_manager()  # sees the files as they are now
        if path:
            logging.info("Resumed from %s at step %d.", path, int(self.step.numpy()))
        self._data_iterator()
        return int(self.step.numpy())

    def prepare(self, iterator=None):
        """Builds the compiled loop without running an iteration, then hands the
        memory this freed back to the OS; `train` calls it first.

        The loop's first call optimises its graph and creates its kernels, and leaves
        ~0.2 GiB of freed temporaries in the C heap, in blocks too small for the
        step's tensors, which would then come on top of them at the first step. Here
        a call of zero iterations does that work and `runtime.release_free_memory`
        returns the blocks: peak RSS at light ch 32, 128 px 2.01-2.07 -> 1.80-1.82 GiB
        (bench/RESULTS.md). No step runs and no batch is read.

        Args:
            iterator: the batches the loop will take (default: the training data's).
        """
        if self._loop.experimental_get_tracing_count():
            return  # the loop has had its first call
        if iterator is None:
            iterator = self._data_iterator()
        self._loop(iterator, tf.constant(0))
        runtime.release_free_memory()

    def close(self):
        """Drops the data stream (its decoding threads) before the program exits."""
        self._iterator = None

    def save(self):
        step = int(self.step.numpy())
        try:
            return self.manager.save(checkpoint_number=step)
        except (tf.errors.OpError, OSError) as e:
            message = getattr(e, "message", None) or str(e)
            message = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", message)
            raise CheckpointWriteError(
                f"Could not write the checkpoint of step {step} to {self._checkpoint_dir}: "
                f"{type(e).__name__}: {message.strip().splitlines()[0]}. The previous "
                f"checkpoint ({self.manager.latest_checkpoint or 'none'}) is intact; free "
                f"disk space or make the work dir writable, then run the same command to "
                f"resume.") from None

    def _agree_to_stop(self, requested):
        """Whether to stop now: with several replicas, every worker stops at the same
        step when any of them was asked to (the requests summed over the replicas)."""
        if self.strategy.num_replicas_in_sync == 1:
            return bool(requested)
        if self._any_replica is None:
            def any_replica(flag):
                flags = self.strategy.run(lambda: tf.identity(flag))
                return self.strategy.reduce(tf.distribute.ReduceOp.SUM, flags, axis=None)
            self._any_replica = tf.function(any_replica)
        return float(self._any_replica(tf.constant(float(bool(requested))))) > 0

    def learning_rate(self):
        return float(self.gen_optimizer.learning_rate)

    def statistics(self):
        """The task's logged statistics (U-GAT-IT: rho's mean, min and max)."""
        return self.task.statistics()

    def _data_iterator(self):
        """The distributed batches, continuing the stream at the current step: the
        data order is a function of (seed, step), so a resumed run sees what the
        uninterrupted run would have seen."""
        if self._iterator is None:
            config = self.config
            dataset = data.build_train_dataset(
                config.data, config.model.image_size, config.data.batch_size,
                seed=config.train.seed, skip_batches=int(self.step.numpy()))
            options = tf.data.Options()
            options.experimental_distribute.auto_shard_policy = (
                tf.data.experimental.AutoShardPolicy.DATA)
            dataset = dataset.with_options(options)
            self._iterator = iter(self.strategy.experimental_distribute_dataset(dataset))
        return self._iterator

    def train(self, num_steps=None, on_loop_end=None):
        """Trains until `config.train.iterations` (or `num_steps` more iterations).

        Checkpoints every `save_freq` iterations; on SIGTERM or SIGINT it finishes the
        current loop, saves and returns (`stop_signal` says which signal; a second
        Ctrl-C raises KeyboardInterrupt at once, after a save). Raises
        NonFiniteLossError (without saving) when a loss is NaN or Inf.

        Args:
            num_steps: stop after this many iterations (for tests and benchmarks).
            on_loop_end: called as `on_loop_end(step, metrics)` after every loop.
        """
        train = self.config.train
        step = int(self.step.numpy())
        end = train.iterations if num_steps is None else min(train.iterations,
                                                             step + num_steps)
        saved_step = step
        stop = stop_signals.StopOnSignal()
        try:
            with stop:  # from here a signal stops at the end of a loop, with a save
                if step < end:
                    self.prepare()
                while step < end:
                    n = min(self.steps_per_loop, end - step, _to_next(step, train.save_freq))
                    metrics, finite = self._loop(self._data_iterator(), tf.constant(n))
                    step = int(self.step.numpy())
                    if not bool(finite):
                        raise NonFiniteLossError(
                            f"A loss became NaN or Inf between steps {step - n} and {step}: "
                            + ", ".join(f"{k}={float(v):.4g}" for k, v in metrics.items()
                                        if not math.isfinite(float(v)))
                            + f". Nothing was saved; the last good checkpoint is "
                            f"{self.manager.latest_checkpoint}. Try a lower learning rate "
                            f"or float32.")
                    if on_loop_end is not None:
                        on_loop_end(step, metrics)
                    stopping = self._agree_to_stop(stop.requested)
                    if step % train.save_freq == 0 or step == end or stopping:
                        self.save()
                        saved_step = step
                    if stopping:
                        self.stop_signal = stop.requested or "a signal to another worker"
                        logging.warning("Stopped on %s at step %d; saved %s.",
                                        self.stop_signal, step, self.manager.latest_checkpoint)
                        break
        except KeyboardInterrupt:
            if int(self.step.numpy()) != saved_step:
                logging.warning("Interrupted: saving a checkpoint at step %d.",
                                int(self.step.numpy()))
                self.save()
            raise
        return step


def _loss_scaled(optimizer):
    if keras.mixed_precision.global_policy().name == "mixed_float16":
        # The U-GAT-IT CAM term makes the G loss ~1e3 at the start: a small first scale.
        return keras.optimizers.LossScaleOptimizer(optimizer, initial_scale=16.0)
    return optimizer


def _to_next(step, every):
    return every - step % every


def sample_images(data_config, image_size, count=5):
    """The first `count` test images of each domain, `{"A": [n, S, S, 3], "B": ...}`,
    the columns of the sample grids."""
    return {domain: np.stack([image.numpy() for image, _ in data.build_eval_dataset(
        data_config, image_size, split="test", domain=domain).take(count)])
        for domain in "AB"}


class TrainingLogger:
    """Progress bar, TensorBoard scalars and images, and the official sample grids."""

    def __init__(self, trainer, eval_a, eval_b, total_steps):
        self.trainer = trainer
        self.config = trainer.config
        self.samples_dir = os.path.join(trainer.workdir, "samples")
        os.makedirs(self.samples_dir, exist_ok=True)
        self.writer = tf.summary.create_file_writer(os.path.join(trainer.workdir,
                                                                 "tensorboard"))
        self.eval_a, self.eval_b = eval_a, eval_b
        self.progress = progress.Progress(total_steps, label="step ")
        self._last = None

    def __call__(self, step, metrics):
        now = time.perf_counter()
        rate = None
        if self._last is not None:
            rate = (step - self._last[0]) / max(now - self._last[1], 1e-9)
        self._last = (step, now)
        values = [("D", float(metrics["D_loss"])), ("G", float(metrics["G_loss"]))]
        samples_due = step % self.config.train.print_freq < self.trainer.steps_per_loop
        if step >= self.progress.total:
            self.progress.finish(values, count=step)
        else:  # a slow sample write (large images on a CPU) is named on the line
            self.progress.update(step, values + [("writing the sample grids", None)]
                                 if samples_due else values)

        train = self.config.train
        if step % train.log_freq < self.trainer.steps_per_loop or step == train.iterations:
            with self.writer.as_default(step=step):
                for k, v in metrics.items():
                    tf.summary.scalar(f"loss/{k}", v)
                tf.summary.scalar("learning_rate", self.trainer.learning_rate())
                for k, v in self.trainer.statistics().items():
                    tf.summary.scalar(k, v)
                if rate is not None:
                    tf.summary.scalar("iterations_per_second", rate)
        if samples_due:
            self.write_samples(step)
            if self.progress.terminal and step < self.progress.total:
                self.progress.update(step, values)

    def write_samples(self, step):
        task = self.trainer.task
        a2b = visualization.grid(task.sample_rows("a2b", self.eval_a))
        b2a = visualization.grid(task.sample_rows("b2a", self.eval_b))
        visualization.save_png(a2b, os.path.join(self.samples_dir, f"A2B_{step:07d}.png"))
        visualization.save_png(b2a, os.path.join(self.samples_dir, f"B2A_{step:07d}.png"))
        with self.writer.as_default(step=step):
            tf.summary.image("samples/A2B", a2b[None], max_outputs=1)
            tf.summary.image("samples/B2A", b2a[None], max_outputs=1)
        self.writer.flush()
