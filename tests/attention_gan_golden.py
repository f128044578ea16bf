"""AttentionGAN against the official PyTorch numbers in ../shared/golden/attention_gan.

`golden_errors(path, dtype)` runs one golden file through `AttentionGANTask` (forward,
both objectives with their gradients, two training iterations) and returns every
array's error; the tests and `bench/golden_report.py` read it.
"""

import functools

import ml_collections
import numpy as np
import tensorflow as tf
from golden import GOLDEN_DIR, nchw_to_nhwc

from ugatit_tf.convert import attention_gan as convert
from ugatit_tf.losses import attention_gan as objectives
from ugatit_tf.tasks.attention_gan import NAMES, AttentionGANTask

FOLDER = GOLDEN_DIR / "attention_gan"

# README: scheme II's `attention` and `image` have no f32/ keys; their official float32
# error is 1.2e-6 of their max.
SCHEME2_UNSTORED_F32 = 1.2e-6


def golden_files():
    return sorted(FOLDER.glob("*.npz")) if FOLDER.is_dir() else []


def nhwc_to_nchw(x):
    return np.transpose(np.asarray(x), (0, 3, 1, 2))


class AttentionGolden:
    """One golden file: its scheme, config, inputs and official weights."""

    def __init__(self, path):
        self.path = path
        self.data = np.load(path)
        self.scheme = 1 if any(k.startswith("weights/G_A2B/") for k in self.data.files) else 2
        c = [int(v) for v in self.data["config"]]
        if self.scheme == 1:
            seed, ngf, ndf, img, blocks = c
            layers = None
        else:
            seed, ngf, ndf, img, blocks, layers = c
        self.image_size = img
        self.config = ml_collections.ConfigDict({
            "task": "attention_gan",
            "model": {"scheme": self.scheme, "base_filters": ngf, "disc_base_filters": ndf,
                      "num_res_blocks": blocks, "image_size": img,
                      **({"disc_layers": layers} if layers else {})},
            "loss": {},
            # the official learning rates; constant over the two iterations
            "train": {"iterations": 1000, "learning_rate": 1e-4 if self.scheme == 1 else 2e-4,
                      "beta_1": 0.5, "beta_2": 0.999, "decay_flag": False,
                      "epoch_iterations": 1000, "pool_size": 50},
        })
        self.real_a = nchw_to_nhwc(self.data["real_A"])
        self.real_b = nchw_to_nhwc(self.data["real_B"])

    def state_dict(self, net, prefix="weights"):
        head = f"{prefix}/{net}/"
        return {k[len(head):]: self.data[k] for k in self.data.files if k.startswith(head)}

    def task(self, dtype="float64"):
        task = AttentionGANTask(self.config, dtype=dtype)
        convert.load_networks(task.networks, {n: self.state_dict(n) for n in task.networks})
        return task


def _state(task):
    return [net.get_weights() for net in task.networks.values()]


def _restore(task, state):
    for net, weights in zip(task.networks.values(), state):
        net.set_weights(weights)


def _gradients(task, names, total_fn, prefix):
    """`{prefix/<net>/<PT key>: gradient in PT's layout}` of `total_fn()` over `names`."""
    nets = [task.networks[n] for n in names]
    variables = [v for net in nets for v in net.trainable_variables]
    with tf.GradientTape() as tape:
        result = total_fn()
    grads = dict(zip([id(v) for v in variables], tape.gradient(result[0], variables)))
    out = {}
    for name, net in zip(names, nets):
        for key, (variable, transform) in convert.name_map(net).items():
            if variable.trainable:
                out[f"{prefix}/{name}/{key}"] = transform.inverse(np.asarray(grads[id(variable)]))
    return result, out


def compute(g, dtype="float64"):
    """Our value of every golden key of `g` (NCHW, PT layouts), the `f32/` prefix off."""
    task = g.task(dtype)
    initial = _state(task)
    names = NAMES[g.scheme]
    g_ab, g_ba, d_a, d_b = (task.networks[n] for n in names)
    a = tf.constant(g.real_a, task.networks[names[0]].compute_dtype)
    b = tf.constant(g.real_b, a.dtype)
    ours = {}

    if g.scheme == 1:
        for training, prefix in ((False, "forward"), (True, "forward_train")):
            for name, net, x in ((names[0], g_ab, a), (names[1], g_ba, b)):
                result, attention, content = net(x, training=training)
                ours[f"{prefix}/{name}/result"] = nhwc_to_nchw(result)
                ours[f"{prefix}/{name}/attention"] = nhwc_to_nchw(attention)
                if not training:
                    ours[f"{prefix}/{name}/content"] = nhwc_to_nchw(content)
            for name, net, x in (("D_A", d_a, a), ("D_B", d_b, b)):
                ours[f"{prefix}/{name}/out"] = nhwc_to_nchw(net(x, training=training))
            _restore(task, initial)  # a fresh copy per call, as the README's
        rate = task.curriculum_rate(0, a.dtype)
        (g_total, g_terms, fakes), grads = _gradients(
            task, names[:2], lambda: objectives.scheme1_generator_objective(
                g_ab, g_ba, d_a, d_b, a, b, rate, task.weights), "ggrad")
        (d_total, d_terms), dgrads = _gradients(
            task, names[2:], lambda: objectives.scheme1_discriminator_objective(
                d_a, d_b, a, b, *fakes), "dgrad")
    else:
        for name, net, x in ((names[0], g_ab, a), (names[1], g_ba, b)):
            for key, out in zip(("o", "attention", "image"), net(x)):
                ours[f"forward/{name}/{key}"] = nhwc_to_nchw(out)
        ours["forward/D_A/out"] = nhwc_to_nchw(d_a(b))
        ours["forward/D_B/out"] = nhwc_to_nchw(d_b(a))
        (g_total, g_terms, fakes), grads = _gradients(
            task, names[:2], lambda: objectives.scheme2_generator_objective(
                g_ab, g_ba, d_a, d_b, a, b, task.weights), "ggrad")
        (d_total, d_terms), dgrads = _gradients(
            task, names[2:], lambda: objectives.scheme2_discriminator_objective(
                d_a, d_b, a, b, *fakes), "dgrad")
    ours.update(grads)
    ours.update(dgrads)
    ours.update({f"gloss/{k}": float(v) for k, v in g_terms.items()})
    ours.update({f"dloss/{k}": float(v) for k, v in d_terms.items()})
    ours["gloss/total"], ours["dloss/total"] = float(g_total), float(d_total)

    _restore(task, initial)
    optimizers = task.make_optimizers()
    for key, opt in optimizers.items():
        nets = task.generator_networks if key == "generator" else task.discriminator_networks
        opt.build([v for n in nets for v in n.trainable_variables])
    losses = []
    for _ in range(2):
        m = task.train_step(a, b, optimizers)
        losses.append([float(m["G_loss"]), float(m["D_loss"])] if g.scheme == 1 else
                      [float(m["G_loss"]), float(m["D_A"]), float(m["D_B"])])
    ours["train/losses"] = np.array(losses)
    for name, net in task.networks.items():
        for key, value in convert.export_state_dict(net).items():
            ours[f"train/weights/{name}/{key}"] = value
    return ours


def null_gradient_keys(g, threshold=1e-9):
    """Gradient keys (and their trained weights) whose true value is round-off: the
    biases in front of a normalisation (README: ~1e-15 in float64, against gradients of
    order 1e-3 and more), found as max |grad| < threshold x the largest gradient of
    the file."""
    grads = [k for k in g.data.files if k.startswith(("ggrad/", "dgrad/"))]
    top = max(float(np.max(np.abs(g.data[k]))) for k in grads)
    null = {k for k in grads if float(np.max(np.abs(g.data[k]))) < threshold * top}
    weights = {"train/weights/" + k.split("/", 1)[1] for k in null}
    # Scheme I: the running mean of the BatchNorm right after such a bias follows the
    # bias' noise (README), `<prefix>.<i>.bias` -> `<prefix>.<i + 1>.running_mean`.
    stats = set()
    for key in weights:
        parts = key.rsplit(".", 2)
        stat = (f"{parts[0]}.{int(parts[1]) + 1}.running_mean"
                if len(parts) == 3 and parts[1].isdigit() else None)
        if stat in g.data.files:
            stats.add(stat)
    return null | weights | stats


@functools.cache
def golden_errors(path, dtype="float64"):
    """Per-array errors of our run of one golden file.

    Returns:
        `{key: {"error": max |ours - official float64| / scale, "scale": max |official|,
        "official_f32": the official float32 run's error on the same scale (None where
        the file stores none), "kind": "forward" | "loss" | "grad" | "train_weight" |
        "train_stat" | "train_loss", "null": a pure round-off gradient (or its weight)}}`;
        for trained weights, error and scale are of the change (after - before).
        Cached: the model and task tests share one run per file and dtype.
    """
    g = AttentionGolden(path)
    ours = compute(g, dtype)
    null = null_gradient_keys(g)
    rows = {}
    for key, value in ours.items():
        expected = np.asarray(g.data[key], np.float64)
        value = np.asarray(value, np.float64)
        official = g.data[f"f32/{key}"].astype(np.float64) if f"f32/{key}" in g.data else None
        kind = key.split("/")[0]
        if key.startswith("train/weights/"):
            before = np.asarray(g.data["weights/" + key[len("train/weights/"):]], np.float64)
            expected, value = expected - before, value - before
            official = None if official is None else official - before
            is_stat = key.endswith(("running_mean", "running_var"))
            kind = "train_stat" if is_stat else "train_weight"
        elif kind in ("gloss", "dloss"):
            kind = "loss"
        elif kind in ("ggrad", "dgrad"):
            kind = "grad"
        elif kind == "train":
            kind = "train_loss"
        else:
            kind = "forward"
        scale = float(np.max(np.abs(expected))) if expected.size else 0.0
        denom = scale if scale > 0 else 1.0
        if official is None and g.scheme == 2 and key.split("/")[-1] in ("attention", "image"):
            official_err = SCHEME2_UNSTORED_F32
        else:
            official_err = (None if official is None
                            else float(np.max(np.abs(official - expected))) / denom)
        if kind == "train_loss":  # per iteration and loss, relative
            err = float(np.max(np.abs(value - expected) / np.abs(expected)))
            official_err = (None if official is None else
                            float(np.max(np.abs(official - expected) / np.abs(expected))))
        else:
            err = float(np.max(np.abs(value - expected))) / denom
        rows[key] = {"error": err, "scale": scale, "official_f32": official_err,
                     "kind": kind, "null": key in null}
    return rows


GROUPS = ("forward", "loss", "grad", "train_weight", "train_stat", "train_loss")


def summary(path):
    """`{group: (ours float64, ours float32, official float32)}`: the largest scaled error
    of each kind over the file's arrays whose true value is not round-off (the rows
    `bench/golden_report.py` prints)."""
    f64, f32 = golden_errors(path, "float64"), golden_errors(path, "float32")
    out = {}
    for group in GROUPS:
        keys = [k for k, r in f64.items() if r["kind"] == group and not r["null"]]
        if keys:
            out[group] = (max(f64[k]["error"] for k in keys),
                          max(f32[k]["error"] for k in keys),
                          max(f32[k]["official_f32"] or 0.0 for k in keys))
    return out


if __name__ == "__main__":  # python tests/attention_gan_golden.py
    print(f"{'file':32s} {'quantity':13s} {'ours f64':>9s} {'ours f32':>9s} {'PT f32':>9s}")
    for file in golden_files():
        for group, (a, b, c) in summary(file).items():
            print(f"{file.stem:32s} {group:13s} {a:9.1e} {b:9.1e} {c:9.1e}")
