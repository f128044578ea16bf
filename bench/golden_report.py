"""Largest differences between ugatit-tf and the official PyTorch numbers.

    python bench/golden_report.py [GOLDEN_DIR]      # default: ../shared/golden

For every golden file: the worst forward output (error / largest magnitude of the array),
the worst loss term (relative error) and the worst parameter gradient (error / largest
magnitude), i.e. the quantities tests/test_golden.py bounds by 1e-4, 1e-4 and 1e-3.
"""

import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from golden import Golden, golden_files, nchw_to_nhwc  # noqa: E402

from ugatit_tf import losses  # noqa: E402
from ugatit_tf.convert import pytorch  # noqa: E402


def scaled_error(actual, expected):
    return float(np.max(np.abs(np.asarray(actual) - expected)) / np.max(np.abs(expected)))


def report(path):
    g = Golden(path)
    nets = g.build_networks()
    inputs = {"A": g.real_a, "B": g.real_b}
    worst = {"forward": (0.0, ""), "loss": (0.0, ""), "gradient": (0.0, "")}

    def note(kind, err, what):
        if err >= worst[kind][0]:
            worst[kind] = (err, what)

    for name, net in nets.items():
        domain = "A" if name in ("genA2B", "disGA", "disLA") else "B"
        outputs = net(inputs[domain], training=False) if name.startswith("dis") else \
            net(inputs[domain])
        for key, out in zip(("out", "cam_logit", "heatmap"), outputs):
            expected = g.data[f"forward/{name}/{key}"]
            expected = nchw_to_nhwc(expected) if expected.ndim == 4 else expected
            note("forward", scaled_error(out, expected), f"{name}/{key}")
    for which, objective, grad_prefix, group in (
            ("dloss", losses.discriminator_objective, "dgrad", nets.discriminators),
            ("gloss", losses.generator_objective, "ggrad", nets.generators)):
        variables = [v for n in group for v in n.trainable_variables]
        with tf.GradientTape() as tape:
            total, terms = objective(nets, g.real_a, g.real_b)
        grads = dict(zip([id(v) for v in variables], tape.gradient(total, variables)))
        for term, value in g.loss_terms(which).items():
            note("loss", abs(float(terms[term]) - value) / abs(value), term)
        for name, net in nets.items():
            if net not in group:
                continue
            for key, (variable, transform) in pytorch.name_map(net).items():
                golden_key = f"{grad_prefix}/{name}/{key}"
                if golden_key in g.data:
                    note("gradient", scaled_error(grads[id(variable)],
                                                  transform(g.data[golden_key])), golden_key)
    return worst


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else None
    files = sorted(Path(folder).glob("*.npz")) if folder else golden_files()
    print(f"{'file':32s} {'forward':>9s} {'loss':>9s} {'gradient':>9s}  worst gradient")
    for path in files:
        w = report(path)
        print(f"{path.name:32s} {w['forward'][0]:9.2e} {w['loss'][0]:9.2e} "
              f"{w['gradient'][0]:9.2e}  {w['gradient'][1]}")


if __name__ == "__main__":
    main()
