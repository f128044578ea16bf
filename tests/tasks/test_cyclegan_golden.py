"""CycleGAN against the official PyTorch numbers in ../shared/golden/cyclegan (README there).

Three kinds of checks per file:
1. float64: forward outputs and loss terms within 1e-10 of their scale, gradients within
   1e-8, networks loaded from the file's weights.
2. float64 training step: two `CycleGANTask.train_step` iterations from those weights
   reproduce `train/weights` (each weight's change within 1e-7 of that change's largest
   magnitude) and `train/losses` (1e-10 relative).
3. float32: every error at most 2x the official code's own float32 error (its `f32/`
   arrays against the float64 ones) plus 1e-6 of the scale, for the same arrays.

Arrays whose true value is zero, the gradients of conv biases in front of a non-affine
instance norm (README, "Quirks"), are pure round-off in both codes: they are compared
absolutely (`ZERO_GRADIENT_ABS`), and so are those biases' training-step changes
(`NOISE_STEP_ABS`), which Adam inflates from that round-off.

`golden_errors(path)` returns every array's errors (ours float64, ours float32, the
official float32); `golden_rows(path, dtype)` gives them as `golden.Row`s for
bench/golden_report.py.
"""

import functools

import ml_collections
import numpy as np
import pytest
import tensorflow as tf
from golden import Row, golden_files, nchw_to_nhwc, scaled_error

from ugatit_tf.convert import cyclegan as convert
from ugatit_tf.losses.gan import lsgan_discriminator_terms
from ugatit_tf.tasks.cyclegan import CycleGANTask

FILES = golden_files("cyclegan")

F64_FORWARD = 1e-10  # outputs and loss terms, relative to the array's scale
F64_GRADIENT = 1e-8
F64_STEP = 1e-7  # a weight's change after two iterations, relative to its largest entry
F64_STEP_LOSS = 1e-10
# A zero gradient is round-off of the layer's activations: ~1e-15 in float64 and ~1e-6
# in float32 (README) for gradients of scale ~1; these bounds are 100x that.
ZERO_GRADIENT_ABS = {"float64": 1e-13, "float32": 1e-4}
# Adam turns that round-off into float32 steps of up to lr = 2e-4 (|g| above eps), and
# up to 1.06 lr in the second bias-corrected step: two runs' noise, of either sign,
# differ by up to 2 x 2.06 lr = 8.2e-4 (the README's ~1e-3). In float64 the steps are
# ~lr |g| / eps ~ 1e-11.
NOISE_STEP_ABS = {"float64": 1e-9, "float32": 1e-3}
F32_FACTOR, F32_FLOOR = 2.0, 1e-6

# Arrays allowed past the float32 bound: (file stem, key) -> (our error, the official
# error, as measured with oneDNN on, the default; ours the larger of two CPUs'). Each
# may reach 2x our measured error.
#
# Why: one element of D_A's `model.8.weight` has a first-iteration gradient of 3.5e-8
# (4e-7 of the array's scale, 3.5 Adam eps). Our float32 gradient there is 1.0e-8, the
# official 3.9e-8: errors of 2.8e-7 and 4e-8 of the scale, both ordinary float32 noise
# (the medians over the array are 2.1e-7 and 1.8e-7). Adam's first step
# `lr g / (|g| + eps)` turns that into 0.51 lr against 0.78 lr, and the second
# iteration's D_A outputs, so every D_A weight's second step, inherit the difference.
# No op is at fault: an element that close to eps is a coin flip in float32.
# The figures above are from an AMD Zen 4 (AVX-512). On a Zen 3 (AVX2 only), whose
# oneDNN kernels sum in other orders, the same seven D_A arrays and no others are off,
# by 1.2-4.5x more (model.8.weight 0.486 against 0.133): that element's steps landed
# further from the official ones. The list holds the larger errors; 2x model.8.weight's
# is about the most such a flip can do (one element's two steps of up to lr each,
# against the array's largest change of about 2 lr: an error of ~1).
_ADAM_EPS_ELEMENT = "D_A model.8.weight: a gradient element at 3.5 Adam eps (see above)"
F32_EXCEPTIONS = {
    ("cyclegan_ngf6_img64_res3", f"train/weights/D_A/{key}"): (ours, official,
                                                              _ADAM_EPS_ELEMENT)
    for key, ours, official in (
        ("model.8.weight", 0.486, 8.3e-3), ("model.0.weight", 3.8e-4, 7.1e-6),
        ("model.2.weight", 1.7e-3, 5.4e-5), ("model.5.weight", 2.1e-3, 1.5e-4),
        ("model.11.weight", 2.0e-4, 1.4e-5), ("model.0.bias", 1.3e-4, 1.9e-6),
        ("model.11.bias", 2.7e-6, 3.8e-8))
}


def config_of(data):
    seed, ngf, ndf, img, n_blocks, n_layers = (int(v) for v in data["config"])
    config = ml_collections.ConfigDict()
    config.task = "cyclegan"
    config.model = ml_collections.ConfigDict(dict(
        base_filters=ngf, disc_base_filters=ndf, num_res_blocks=n_blocks,
        disc_layers=n_layers, image_size=img))
    config.loss = ml_collections.ConfigDict(dict(cycle_a=10.0, cycle_b=10.0, identity=0.5,
                                                 pool_size=50))
    config.train = ml_collections.ConfigDict(dict(
        learning_rate=2e-4, beta_1=0.5, beta_2=0.999, constant_iterations=100,
        decay_iterations=100, iterations=200, seed=seed))
    return config


def state_dict(data, net, prefix="weights"):
    head = f"{prefix}/{net}/"
    return {k[len(head):]: data[k] for k in data.files if k.startswith(head)}


def zero_gradient_keys(task):
    """PT keys of the conv biases that feed an instance norm (every conv bias but the
    generator head's and the discriminator's first and last)."""
    keys = set()
    for name, net in task.networks.items():
        entries = convert.name_map(net)
        if name.startswith("G"):
            head = f"model.{17 + net.num_res_blocks}.bias"
            skip = {head}
        else:
            skip = {"model.0.bias", f"model.{2 + 3 * net.num_layers}.bias"}
        keys |= {f"{name}/{k}" for k in entries if k.endswith(".bias") and k not in skip}
    return keys


def load_task(data, dtype):
    task = CycleGANTask(config_of(data), dtype=dtype)
    convert.load_networks(task.networks, {n: state_dict(data, n) for n in task.networks})
    return task


def _error(actual, expected, relative):
    if relative:
        return scaled_error(actual, expected)
    return float(np.max(np.abs(np.asarray(actual, np.float64) - expected)))


def our_arrays(data, dtype):
    """Our values for every compared key, in PT layouts and names."""
    task = load_task(data, dtype)
    real_a = tf.constant(nchw_to_nhwc(data["real_A"]), dtype)
    real_b = tf.constant(nchw_to_nhwc(data["real_B"]), dtype)
    nets = task.networks
    out = {}
    for name, source in (("G_A", real_a), ("G_B", real_b), ("D_A", real_b), ("D_B", real_a)):
        out[f"forward/{name}/out"] = np.transpose(np.asarray(nets[name](source)), (0, 3, 1, 2))

    def gradients(prefix, total, tape, names):
        variables = {n: nets[n].trainable_variables for n in names}
        grads = tape.gradient(total, variables)
        for n in names:
            by_id = {id(v): g for v, g in zip(variables[n], grads[n])}
            for key, (variable, transform) in convert.name_map(nets[n]).items():
                out[f"{prefix}/{n}/{key}"] = transform.inverse(np.asarray(by_id[id(variable)]))

    with tf.GradientTape() as tape:
        g_total, g_terms, fake_a, fake_b = task.generator_terms(real_a, real_b)
    out["gloss/total"] = g_total
    out.update({f"gloss/{k[len('loss_'):]}": v for k, v in g_terms.items()})
    gradients("ggrad", g_total, tape, ("G_A", "G_B"))
    with tf.GradientTape() as tape:
        d_total, d_terms = task.discriminator_terms(real_a, real_b, fake_a, fake_b)
    out["dloss/total"] = d_total
    out.update({f"dloss/{k[len('loss_'):]}": v for k, v in d_terms.items()})
    for name, real, fake in (("D_A", real_b, fake_b), ("D_B", real_a, fake_a)):
        halves = lsgan_discriminator_terms(nets[name](real), nets[name](fake))
        out[f"dloss/{name}_real"], out[f"dloss/{name}_fake"] = halves
    gradients("dgrad", d_total, tape, ("D_A", "D_B"))

    # The training step from the file's weights, twice on the same batch.
    task = load_task(data, dtype)
    optimizers = task.make_optimizers()
    before = {}
    for group, names in (("generator", task.generator_names), ("discriminator", ("D_A", "D_B"))):
        optimizers[group].build([v for n in names for v in task.networks[n].trainable_variables])
    step = tf.function(lambda a, b: task.train_step(a, b, optimizers))
    losses = []
    for name, net in task.networks.items():
        before[name] = convert.export_state_dict(net)
    for _ in range(2):
        metrics = step(real_a, real_b)
        losses.append([float(metrics[k]) for k in ("G_loss", "loss_D_A", "loss_D_B")])
    out["train/losses"] = np.array(losses)
    for name, net in task.networks.items():
        for key, value in convert.export_state_dict(net).items():
            out[f"train/weights/{name}/{key}"] = value
    return out, zero_gradient_keys(task)


@functools.cache
def golden_errors(path):
    """Every compared array of one golden file: `{key: {"kind", "zero", "f64", "f32",
    "official_f32"}}`, errors relative to the array's scale (loss terms: their value;
    step weights: the largest change), absolute for zero-gradient arrays (`zero`)."""
    data = np.load(path)
    ours = {dtype: our_arrays(data, dtype) for dtype in ("float64", "float32")}
    zero = ours["float64"][1]
    rows = {}
    for key in ours["float64"][0]:
        kind = key.split("/")[0]
        if kind in ("ggrad", "dgrad"):
            is_zero = key.split("/", 1)[1] in zero
        else:
            is_zero = kind == "train" and key.split("/", 2)[-1] in zero
        if key == "train/losses":  # each iteration's loss relative to itself
            error = lambda a, e: float(np.max(np.abs(np.asarray(a) - e) / np.abs(e)))
        elif kind == "train":  # the change from the file's weights
            initial = data[key.replace("train/weights/", "weights/")]
            error = lambda a, e, i=initial, r=not is_zero: _error(np.asarray(a) - i, e - i, r)
        else:
            error = lambda a, e, r=not is_zero: _error(a, e, r)
        rows[key] = {"kind": kind, "zero": is_zero,
                     "f64": error(ours["float64"][0][key], data[key]),
                     "f32": error(ours["float32"][0][key], data[key]),
                     "official_f32": error(data[f"f32/{key}"], data[key])}
    return rows


def golden_rows(path, dtype):
    """`golden_errors` as `golden.Row`s of one dtype ("float64" or "float32"), for
    bench/golden_report.py: kinds forward, loss (the two-iteration totals included, under
    `train/losses`), grad, train (weight changes) and zero (the zero-gradient biases'
    gradients and steps, absolute errors)."""
    kinds = {"forward": "forward", "gloss": "loss", "dloss": "loss", "ggrad": "grad",
             "dgrad": "grad", "train": "train"}
    rows = []
    for key, row in golden_errors(path).items():
        kind = "zero" if row["zero"] else "loss" if key == "train/losses" else kinds[row["kind"]]
        ours = row["f64"] if dtype == "float64" else row["f32"]
        rows.append(Row(kind, key, ours, row["official_f32"] if dtype == "float32"
                        else float("nan")))
    return rows


@pytest.fixture(scope="module", params=FILES, ids=[p.stem for p in FILES])
def errors(request):
    return request.param.stem, np.load(request.param), golden_errors(request.param)


def test_golden_folder_has_files():
    assert FILES, "no .npz in ../shared/golden/cyclegan: the folder is missing or empty"


def test_every_array_is_compared(errors):
    _, data, rows = errors
    expected = {k for k in data.files if k.startswith(("forward/", "gloss/", "ggrad/",
                                                        "dgrad/", "train/"))}
    expected |= {k for k in data.files if k.startswith("dloss/")}
    assert set(rows) == expected
    # the biases in front of an instance norm (28 in the README's file)
    zero = [k for k, r in rows.items() if r["zero"] and r["kind"] in ("ggrad", "dgrad")]
    _, _, _, _, blocks, layers = (int(v) for v in data["config"])
    # Per G: stem, 2 down, 2 per block, 2 up; per D: all but the first and the head.
    assert len(zero) == 2 * (5 + 2 * blocks) + 2 * layers, zero


def test_float64(errors):
    _, _, rows = errors
    for key, row in rows.items():
        if row["kind"] == "train":
            continue
        if row["zero"]:
            bound = ZERO_GRADIENT_ABS["float64"]
        else:
            bound = F64_GRADIENT if row["kind"] in ("ggrad", "dgrad") else F64_FORWARD
        assert row["f64"] <= bound, f"{key}: float64 error {row['f64']:.3g} > {bound:g}"


def test_float64_training_step(errors):
    _, _, rows = errors
    for key, row in rows.items():
        if row["kind"] != "train":
            continue
        if key == "train/losses":
            bound = F64_STEP_LOSS
        else:
            bound = NOISE_STEP_ABS["float64"] if row["zero"] else F64_STEP
        assert row["f64"] <= bound, f"{key}: float64 error {row['f64']:.3g} > {bound:g}"


def test_float32_within_the_official_noise(errors):
    stem, _, rows = errors
    failures = []
    for key, row in rows.items():
        if row["zero"]:
            kind = "float32"
            bound = NOISE_STEP_ABS[kind] if row["kind"] == "train" else ZERO_GRADIENT_ABS[kind]
        else:
            bound = F32_FACTOR * row["official_f32"] + F32_FLOOR
        if row["f32"] > bound:
            failures.append((key, row["f32"], row["official_f32"]))
    listed = [key for (file, key) in F32_EXCEPTIONS if file == stem]
    assert len(listed) < 0.05 * len(rows), "the exception list exceeds 5% of the arrays"
    for key in listed:
        measured = F32_EXCEPTIONS[stem, key][0]
        assert rows[key]["f32"] <= 2.0 * measured, \
            f"{key}: float32 error {rows[key]['f32']:.3g}, listed at {measured:.3g}"
    unexpected = [f for f in failures if (stem, f[0]) not in F32_EXCEPTIONS]
    assert not unexpected, "\n".join(f"{k}: float32 error {e:.3g}, official {o:.3g}"
                                     for k, e, o in unexpected)


def test_parameter_counts(errors):
    _, data, _ = errors
    task = CycleGANTask(config_of(data))
    for name, net in task.networks.items():
        count = sum(int(np.prod(v.shape)) for v in net.trainable_variables)
        assert count == int(data[f"param_count/{name}"]), name
