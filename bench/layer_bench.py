"""The layer-level choices of issues 6 and 17, timed on the shapes the models give them.

    python bench/layer_bench.py
    python bench/layer_bench.py --sections=lin --output=   # issue 17's part only

1. `SpectralNormConv2D` in the deep discriminator layers and the two heads: oneDNN's
   conv against the matmul of the input windows
   (`ugatit_tf.layers.spectral_norm._conv_over_sigma`; the layer's thresholds pick
   one, here each is forced in turn).
2. The decoder's upsampling conv: the op-by-op graph of PT's `UpBlock2` head (nearest
   x2, reflection pad 1, 3x3 conv) against `UpsampleConv2D`'s sub-pixel conv.
3. AdaLIN and LIN: the one-pass `normalization.layer_instance_norm` against the
   composition it replaced (`fused_layer_instance_norm(False)`), as a graph and
   XLA-compiled, at the residual blocks' and the two upsampling norms' shapes (ch 64,
   256 px).

Each row times a training call: forward, and the gradients of sum(y^2) with respect to
the input and the weights, in one `tf.function` (median of `--runs` after a warm-up),
batch 1, float32, one inter-op thread (as train.py runs). Prints a table and writes
bench/results/layer_bench.json.
"""

import os
import sys

import tensorflow as tf
from absl import app, flags

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from common import machine, median_ms, write_json  # noqa: E402  (bench/ is on sys.path)

from ugatit_tf.layers import LIN, AdaLIN, UpsampleConv2D, spectral_norm  # noqa: E402
from ugatit_tf.layers.normalization import fused_layer_instance_norm  # noqa: E402
from ugatit_tf.runtime import configure_runtime  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_integer("runs", 15, "Timed calls per row (after one warm-up call).")
flags.DEFINE_list("sections", ["spectral_norm", "upsampling", "lin"], "What to time.")
flags.DEFINE_string("output", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                           "results", "layer_bench.json"),
                    "JSON results file ('' to skip writing).")

# (model, layer, padded input side, in channels, out channels, stride): the global
# discriminator's last three spectral-norm convs (7 layers) at ch 16, 32, 64.
DISCRIMINATOR_CONVS = [
    (f"ch {ch}, {size} px", name, side, ci * ch, co * ch, stride)
    for ch, size in ((16, 128), (32, 128), (64, 128), (64, 256))
    for name, side, ci, co, stride in (
        ("conv4", size // 8 + 2, 4, 8, 2),
        ("conv5", size // 16 + 2, 8, 16, 2),
        ("conv6", size // 32 + 2, 16, 32, 1))
]
# The heads (4x4 convs to one channel) of the global (7 layers) and local (5 layers)
# discriminators at ch 64, 256 px: the fifth GPU lease's profile pointed at them
# (bench/RESULTS.md).
DISCRIMINATOR_HEADS = [("ch 64, 256 px", "global head", 9, 32 * 64, 1, 1),
                       ("ch 64, 256 px", "local head", 33, 8 * 64, 1, 1)]
# (model, layer, input side, in channels, out channels): the generator's two upsampling
# convs at ch 16, 32, 64.
UPSAMPLING_CONVS = [
    (f"ch {ch}, {size} px", name, size // scale, ci * ch, co * ch)
    for ch, size in ((16, 128), (32, 128), (64, 128), (64, 256))
    for name, scale, ci, co in (("up1", 4, 4, 2), ("up2", 2, 2, 1))
]

# (layer, input shape): the light and full generators' AdaLIN at ch 64, 256 px, and
# their two LIN.
NORMS = [("AdaLIN", (1, 64, 64, 256)), ("LIN", (1, 128, 128, 128)), ("LIN", (1, 256, 256, 64))]


def training_call(fn, variables, jit_compile=False):
    @tf.function(jit_compile=jit_compile)
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(tf.square(fn(x)))
        return tape.gradient(loss, [x, *variables])

    return step


def time_call(fn, variables, x, jit_compile=False, traced_with=None):
    step = training_call(fn, variables, jit_compile)
    if traced_with is not None:
        with traced_with:  # later calls reuse this trace
            step.get_concrete_function(x)
    return median_ms(lambda: [g.numpy() for g in step(x)], FLAGS.runs)


def spectral_norm_rows():
    rows = []
    defaults = spectral_norm._MATMUL_MIN_KERNEL, spectral_norm._MATMUL_CHANNELS_PER_ROW
    for model, name, side, cin, cout, stride in DISCRIMINATOR_CONVS + DISCRIMINATOR_HEADS:
        x = tf.random.normal((1, side, side, cin))
        times = {}
        # Force each path through the layer's thresholds: none passes the first, all
        # pass both at (0, 0).
        for path, thresholds in (("conv", (float("inf"), 0)), ("matmul", (0, 0))):
            spectral_norm._MATMUL_MIN_KERNEL, spectral_norm._MATMUL_CHANNELS_PER_ROW = thresholds
            layer = spectral_norm.SpectralNormConv2D(cout, 4, strides=stride,
                                                     use_bias=cout > 1)  # heads: none
            layer(x)
            times[path] = time_call(lambda t, layer=layer: layer(t, training=True),
                                    layer.trainable_weights, x)
        spectral_norm._MATMUL_MIN_KERNEL, spectral_norm._MATMUL_CHANNELS_PER_ROW = defaults
        rows.append({"model": model, "layer": name, "input": [1, side, side, cin],
                     "kernel": [4, 4, cin, cout], "stride": stride,
                     "conv_ms": times["conv"], "matmul_ms": times["matmul"]})
        print(f"{model} {name} {side}x{side}x{cin} -> {cout}, stride {stride}: conv "
              f"{times['conv']:.1f} ms, matmul {times['matmul']:.1f} ms", flush=True)
    return rows


def op_by_op(kernel):
    def fn(x):
        x = tf.repeat(tf.repeat(x, 2, axis=1), 2, axis=2)
        x = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
        return tf.nn.conv2d(x, kernel, 1, "VALID")

    return fn


def upsampling_rows():
    rows = []
    for model, name, side, cin, cout in UPSAMPLING_CONVS:
        x = tf.random.normal((1, side, side, cin))
        layer = UpsampleConv2D(cout)
        layer(x)
        plain = time_call(op_by_op(layer.kernel), [layer.kernel], x)
        sub_pixel = time_call(layer, [layer.kernel], x)
        rows.append({"model": model, "layer": name, "input": [1, side, side, cin],
                     "filters": cout, "op_by_op_ms": plain, "sub_pixel_ms": sub_pixel})
        print(f"{model} {name} {side}x{side}x{cin} -> {cout}: op by op {plain:.1f} ms, "
              f"sub-pixel {sub_pixel:.1f} ms", flush=True)
    return rows


def lin_rows():
    rows = []
    for name, shape in NORMS:
        x = tf.random.normal(shape)
        layer = AdaLIN() if name == "AdaLIN" else LIN()
        affine = [tf.random.normal((1, shape[-1]))] * 2 if name == "AdaLIN" else []
        layer(x, *affine)
        for jit_compile in (False, True):
            times = {fused: time_call(lambda t, layer=layer, affine=affine: layer(t, *affine),
                                      layer.trainable_weights, x, jit_compile,
                                      fused_layer_instance_norm(fused))
                     for fused in (True, False)}
            mode = "xla" if jit_compile else "graph"
            rows.append({"layer": name, "input": list(shape), "mode": mode,
                         "one_pass_ms": times[True], "composed_ms": times[False]})
            print(f"{name} {'x'.join(map(str, shape))} {mode}: one pass {times[True]:.1f} "
                  f"ms, composed {times[False]:.1f} ms", flush=True)
    return rows


def main(argv):
    del argv
    configure_runtime(1)
    sections = {"spectral_norm": ("spectral_norm_conv", spectral_norm_rows),
                "upsampling": ("upsampling_conv", upsampling_rows),
                "lin": ("layer_instance_norm", lin_rows)}
    unknown = set(FLAGS.sections) - set(sections)
    if unknown:
        raise ValueError(f"Unknown --sections {sorted(unknown)}: use {', '.join(sections)}.")
    record = {"machine": machine(load_1min_before=os.getloadavg()[0])}
    for section in FLAGS.sections:
        key, rows = sections[section]
        record[key] = rows()
    record["machine"]["load_1min_after"] = os.getloadavg()[0]

    if "spectral_norm_conv" in record:
        print("\nSpectral-norm conv, training call (ms): conv | matmul of the windows")
    for r in record.get("spectral_norm_conv", []):
        print(f"| {r['model']} | {r['layer']} | {'x'.join(map(str, r['kernel']))} on "
              f"{r['input'][1]}x{r['input'][2]}, stride {r['stride']} | "
              f"{r['conv_ms']:.1f} | {r['matmul_ms']:.1f} |")
    if "upsampling_conv" in record:
        print("\nUpsampling conv, training call (ms): op by op | sub-pixel")
    for r in record.get("upsampling_conv", []):
        print(f"| {r['model']} | {r['layer']} | {r['input'][1]}x{r['input'][2]}x"
              f"{r['input'][3]} -> {r['filters']} | {r['op_by_op_ms']:.1f} | "
              f"{r['sub_pixel_ms']:.1f} |")
    if "layer_instance_norm" in record:
        print("\nAdaLIN / LIN, training call (ms): one pass | composed")
    for r in record.get("layer_instance_norm", []):
        print(f"| {r['layer']} | {'x'.join(map(str, r['input']))} | {r['mode']} | "
              f"{r['one_pass_ms']:.1f} | {r['composed_ms']:.1f} |")
    if FLAGS.output:
        write_json(FLAGS.output, record)


if __name__ == "__main__":
    app.run(main)
