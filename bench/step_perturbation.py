"""The two-iteration training step with the inputs perturbed by ~1 float32 ulp: how far
chance moves the float32 (and float64) step's error against the golden float64 step.

    python bench/step_perturbation.py --file=ugatit_light_ch4_img128 --seeds=1,2,3
    python bench/step_perturbation.py --sides=ours32,ours64   # without the official code

Each seed multiplies every input pixel by (1 + eps32 * N(0, 1)) and rounds to float32,
then runs two iterations from the file's weights: ours (tests/golden.py's Trainer step)
in float32 and float64, and the official loop (bench/official_step.py's
`OfficialIteration`, torch float32; needs the official `networks.py`, see there).
Prints per run each network's largest change error (scaled as in tests/golden.py) and,
for the generators, the share of weights off by more than `golden.CHANGE_OFF` of their
array's change: the quantities tests/test_golden.py's float32 step test bounds. Seed 0
is the file's own inputs. Measured results are in tests/test_golden.py's docstring.
"""

import argparse
import itertools
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench"), str(ROOT)]
from golden import GOLDEN_DIR, Golden, changes_off, nchw_to_nhwc, scaled_error  # noqa: E402

NETS = ("genA2B", "genB2A", "disGA", "disGB", "disLA", "disLB")


def perturbed_inputs(g, seed):
    """NCHW float64 arrays holding float32 values: the file's inputs for seed 0."""
    if seed == 0:
        return g.data["real_A"], g.data["real_B"]
    rng = np.random.default_rng(seed)
    eps = np.finfo(np.float32).eps
    return tuple((x * (1 + eps * rng.standard_normal(x.shape))).astype(np.float32)
                 .astype(np.float64) for x in (g.data["real_A"], g.data["real_B"]))


def ours(g, dtype, real_a, real_b):
    """`{net: {state_dict key: value after two iterations, our layout}}`."""
    from golden import train_two_iterations

    from ugatit_tf.convert import pytorch
    inputs = {"A": nchw_to_nhwc(real_a), "B": nchw_to_nhwc(real_b)}
    with tempfile.TemporaryDirectory() as workdir:
        trainer, _ = train_two_iterations(g, dtype, workdir, inputs)
    return {name: {key: variable.numpy() for key, (variable, _)
                   in pytorch.name_map(net).items() if variable.trainable}
            for name, net in trainer.nets.items()}


def official(g, networks_path, real_a, real_b):
    """The official loop in torch float32: `{net: {state_dict key: value}}` (PT layout)."""
    import torch
    from official_step import OfficialIteration, load_networks

    c = g.config
    step = OfficialIteration(load_networks(networks_path), "cpu", c["light"], c["ch"],
                             c["img"], n_res=c["n_res"])
    nets = dict(zip(NETS, (step.gen_a2b, step.gen_b2a, step.dis_ga, step.dis_gb,
                           step.dis_la, step.dis_lb)))
    for name, net in nets.items():
        net.load_state_dict({k: torch.tensor(v, dtype=torch.float32)
                             for k, v in g.state_dict(name).items()})
    for a, b in ((real_a, real_b), (real_a, real_b)):
        step(torch.tensor(a, dtype=torch.float32), torch.tensor(b, dtype=torch.float32))
    return {name: {k: v.detach().double().numpy() for k, v in net.state_dict().items()}
            for name, net in nets.items()}


def summary(g, after, pt_layout):
    """Per network: (largest scaled change error, share of elements off)."""
    from ugatit_tf.convert import pytorch

    nets = g.build_networks()
    result = {}
    for name, net in nets.items():
        errors, off = [], []
        for key, (variable, transform) in pytorch.name_map(net).items():
            if not variable.trainable:
                continue
            before = transform(g.data[f"weights/{name}/{key}"])
            expected = transform(g.data[f"train/weights/{name}/{key}"]) - before
            value = after[name][key]
            actual = (transform(value) if pt_layout else value) - before
            errors.append(scaled_error(actual, expected))
            off.append(changes_off(actual, expected))
        result[name] = max(errors), float(np.mean(np.concatenate(off)))
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--file", default="ugatit_light_ch4_img128")
    parser.add_argument("--seeds", default="0,1,2,3,4,5,6")
    parser.add_argument("--sides", default="official,ours32,ours64")
    parser.add_argument("--networks", default=str(ROOT / "bench" / "third_party" /
                                                  "UGATIT-pytorch" / "networks.py"))
    args = parser.parse_args()
    g = Golden(GOLDEN_DIR / "ugatit" / f"{args.file}.npz")
    sides = args.sides.split(",")
    for seed, side in itertools.product((int(s) for s in args.seeds.split(",")), sides):
        real_a, real_b = perturbed_inputs(g, seed)
        if side == "official":
            result = summary(g, official(g, args.networks, real_a, real_b), pt_layout=True)
        else:
            dtype = {"ours32": "float32", "ours64": "float64"}[side]
            result = summary(g, ours(g, dtype, real_a, real_b), pt_layout=False)
        cells = [f"{name} {worst:.3f}" + (f" ({share:.2%} off)" if name.startswith("gen") else "")
                 for name, (worst, share) in result.items()]
        print(f"seed {seed} {side:8s} " + ", ".join(cells), flush=True)


if __name__ == "__main__":
    main()
