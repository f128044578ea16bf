"""Where the training step's reductions come from: the reduction ops of one traced
`Trainer` step (its functions and custom gradients included), counted by network.

    python bench/reduction_census.py              # light, ch 4, 128 px (counts do not
    python bench/reduction_census.py --full       # depend on ch or size)

On a GPU each reduction is at least one kernel launch: the H200 profile of the light
step had ~1,300 reduction kernels per iteration (bench/RESULTS.md, third lease), about
as many as this census counts ops, so XLA merges few of them.
"""

import argparse
import collections
import sys
import tempfile
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

REDUCTIONS = ("Sum", "Mean", "Max", "Min", "Prod", "All", "Any")


def owner(op_name):
    """Who an op belongs to: the discriminators, the generators, or neither ("gradients
    and losses": ops without a network's name scope, i.e. the backward functions of the
    custom gradients, bias gradients and the losses)."""
    name = op_name.lower()
    if "disc_" in name:
        return "discriminators"
    if any(k in name for k in ("gen_", "encoder", "decoder")):
        return "generators"
    return "gradients and losses"


def reduction_ops(graph):
    """The reduction ops of `graph` and of the functions it calls."""
    ops = [op for op in graph.get_operations() if op.type in REDUCTIONS]
    for function in graph._functions.values():
        ops += reduction_ops(function.graph)
    return ops


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="the full model, not light")
    parser.add_argument("--float64_statistics", action="store_true",
                        help="the CPU default's normalisation arithmetic (else the GPU's)")
    args = parser.parse_args()

    import tensorflow as tf
    from train_rows import make_config

    from ugatit_tf.trainer import Trainer

    config = make_config(not args.full, 4, 128)
    trainer = Trainer(config, tempfile.mkdtemp(), tf.distribute.OneDeviceStrategy("/cpu:0"),
                      float32_statistics=not args.float64_statistics)
    batch = tf.zeros((1, 128, 128, 3))
    graph = tf.function(trainer._replica_losses).get_concrete_function(batch, batch).graph
    ops = reduction_ops(graph)
    counts = collections.Counter(owner(op.name) for op in ops)
    print(f"{len(ops)} reduction ops in one {'full' if args.full else 'light'} step:")
    for name, count in counts.most_common():
        print(f"  {name:22s} {count:5d}  {count / len(ops):.0%}")


if __name__ == "__main__":
    main()
