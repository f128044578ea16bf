"""Two generators as one grouped network: is it faster on a GPU? (issue 17)

    . .carry/gpu/env.sh; python3 bench/pair_microbench.py --output=$OUT/pair.json

The GPU profile has ~2,930 kernels per light iteration, most of them short (5.8 us on
average outside the convolutions): the step is bound by kernel count and latency, not
arithmetic. G_A2B and G_B2A have the same architecture and run side by side in each
pass, so their layers could be one layer of twice the channels: each conv a grouped
conv (`feature_group_count=2`), each per-channel normalisation unchanged. That halves
the kernels of the generators' part of the step if XLA and cuDNN keep grouped convs
(and their gradients) as fast as two plain ones.

This times that trade before the models are changed: a proxy of the light generator's
22 convs at ch 64 and 256 px (stem 7x7, two stride-2 downs, the 16 3x3 convs of the
encoder's and decoder's residual blocks at 64 px, two upsampled 3x3, head 7x7), each
followed by instance norm and ReLU (CAM, AdaLIN's MLP and LIN are left out), forward
and backward under XLA, as two networks and as one grouped network, at batch 2 (the
translation and identity calls) and 1 (the cycle call). It prints the two outputs'
largest difference too (the same function).

On the H200 (bench/RESULTS.md, ninth lease) the grouped network ran 0.75x as fast with
TF32 and 1.1x with TF32 off: not built into the models.
"""

import json
import time

from absl import app, flags

FLAGS = flags.FLAGS


def define_flags():
    """Defined when run as a script only: the tests import this module beside gpu_bench."""
    flags.DEFINE_integer("ch", 64, "Base channels.")
    flags.DEFINE_integer("size", 256, "Image size.")
    flags.DEFINE_list("batches", ["2", "1"], "Batch sizes per generator.")
    flags.DEFINE_integer("steps", 50, "Timed steps per measurement.")
    flags.DEFINE_integer("repeats", 3, "Timed measurements; the median is reported.")
    flags.DEFINE_string("output", "", "Write the results here as JSON.")


def layer_shapes(ch):
    """(kernel size, stride, in channels, out channels, upsample first) of the proxy."""
    shapes = [(7, 1, 3, ch, False), (3, 2, ch, 2 * ch, False), (3, 2, 2 * ch, 4 * ch, False)]
    shapes += [(3, 1, 4 * ch, 4 * ch, False)] * 16
    shapes += [(3, 1, 4 * ch, 2 * ch, True), (3, 1, 2 * ch, ch, True), (7, 1, ch, 3, False)]
    return shapes


def make_params(tf, ch, seed):
    """One network's kernels, one per layer (He-normal)."""
    rng = tf.random.Generator.from_seed(seed)
    return [tf.Variable(rng.normal((k, k, cin, cout)) * (2.0 / (k * k * cin)) ** 0.5)
            for k, _, cin, cout, _ in layer_shapes(ch)]


def network(tf, params, x, ch):
    """The proxy; on two networks' inputs and kernels stacked along channels, grouped convs."""
    for kernel, (k, stride, _, _, upsample) in zip(params, layer_shapes(ch)):
        if upsample:
            x = tf.repeat(tf.repeat(x, 2, axis=1), 2, axis=2)
        pad = k // 2
        x = tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="REFLECT")
        x = tf.nn.conv2d(x, kernel, stride, "VALID")  # grouped when x has 2x the kernel's in
        mean, var = tf.nn.moments(x, axes=[1, 2], keepdims=True)
        x = tf.nn.relu((x - mean) * tf.math.rsqrt(var + 1e-5))
    return x


def make_steps(tf, ch, seed=1):
    """Two networks' variables and their grouped copy, and the forward-and-backward step
    of each form: `fn(x1, x2) -> (loss, gradients, both outputs along channels)`."""
    one, two = make_params(tf, ch, seed), make_params(tf, ch, seed + 1)
    # the grouped kernels: each group's filters in turn along the output axis
    paired = [tf.Variable(tf.concat([a, b], axis=-1)) for a, b in zip(one, two)]

    @tf.function(jit_compile=True)
    def separate(x1, x2):
        with tf.GradientTape() as tape:
            y1, y2 = network(tf, one, x1, ch), network(tf, two, x2, ch)
            loss = tf.reduce_mean(y1 * y1) + tf.reduce_mean(y2 * y2)
        return loss, tape.gradient(loss, one + two), tf.concat([y1, y2], axis=-1)

    @tf.function(jit_compile=True)
    def grouped(x1, x2):
        with tf.GradientTape() as tape:
            y = network(tf, paired, tf.concat([x1, x2], axis=-1), ch)
            y1, y2 = tf.split(y, 2, axis=-1)
            loss = tf.reduce_mean(y1 * y1) + tf.reduce_mean(y2 * y2)
        return loss, tape.gradient(loss, paired), y

    return separate, grouped


def main(argv):
    del argv
    import numpy as np
    import tensorflow as tf

    ch, size = FLAGS.ch, FLAGS.size
    separate, grouped = make_steps(tf, ch)

    results = []
    for batch in map(int, FLAGS.batches):
        x1 = tf.random.normal((batch, size, size, 3), seed=3)
        x2 = tf.random.normal((batch, size, size, 3), seed=4)
        row = {"batch": batch, "ch": ch, "size": size,
               "device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU"}
        outputs = {}
        for name, fn in (("separate", separate), ("grouped", grouped)):
            start = time.perf_counter()
            loss, _, y = fn(x1, x2)
            float(loss)
            row[f"{name}_first_call_s"] = round(time.perf_counter() - start, 1)
            outputs[name] = y.numpy()
            times = []
            for _ in range(FLAGS.repeats):
                start = time.perf_counter()
                for _ in range(FLAGS.steps):
                    loss, _, _ = fn(x1, x2)
                float(loss)
                times.append((time.perf_counter() - start) / FLAGS.steps * 1e3)
            row[f"{name}_ms"] = round(float(np.median(times)), 3)
        row["speedup"] = round(row["separate_ms"] / row["grouped_ms"], 3)
        row["max_abs_difference"] = float(np.max(np.abs(outputs["separate"] - outputs["grouped"])))
        print(json.dumps(row), flush=True)
        results.append(row)
    if FLAGS.output:
        with open(FLAGS.output, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    define_flags()
    app.run(main)
