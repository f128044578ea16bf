"""Where the training step's reductions come from: the reduction ops of one traced
`Trainer` step (its functions and custom gradients included), counted by network.

    python bench/reduction_census.py              # light, ch 4, 128 px (counts do not
    python bench/reduction_census.py --full       # depend on ch or size)
    python bench/reduction_census.py --composed_lin   # LIN/AdaLIN as before issue 17's
                                                      # one-pass `layer_instance_norm`
    python bench/reduction_census.py --hlo        # also count the XLA step's HLO ops
    python bench/reduction_census.py --hlo --convs_as_matmul  # windows_matmul's switch
    python bench/reduction_census.py --hlo --convs_as_matmul --max_filters=1  # D heads only
    python bench/reduction_census.py --hlo --mixed_precision=bfloat16  # and the element
                                      # types of the traced HLO's convolutions and dots

On a GPU each reduction is at least one kernel launch: the H200 profile of the light
step had ~1,300 reduction kernels per iteration (bench/RESULTS.md, third lease), about
as many as this census counts ops, so XLA merges few of them.
"""

import argparse
import collections
import re
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


def all_ops(graph):
    """Every op of `graph` and of the functions it calls."""
    ops = list(graph.get_operations())
    for function in graph._functions.values():
        ops += all_ops(function.graph)
    return ops


def reduction_ops(graph):
    """The reduction ops of `graph` and of the functions it calls."""
    return [op for op in all_ops(graph) if op.type in REDUCTIONS]


def hlo_instructions(computation):
    """The instruction lines (`name = shape op(...)`) of one HLO computation's text, up
    to its closing brace."""
    body = computation[:computation.index("\n}")]
    return sum(1 for line in body.splitlines()[1:] if " = " in line)


def element_types(hlo, kinds):
    """Counter of `(instruction kind, result element type)` over an HLO module's text."""
    pattern = re.compile(r" = (\w+)\[[^\]]*\]\S* (" + "|".join(kinds) + r")\(")
    return collections.Counter(m.groups()[::-1] for m in map(pattern.search, hlo.splitlines())
                               if m)


def over_feature_maps(op):
    """Whether a reduction reads a feature map (spatial dims 1 and 2 not both 1), not
    per-channel statistics or parameters: the reductions that cost a pass over memory."""
    shape = op.inputs[0].shape
    return shape.rank is not None and shape.rank >= 3 and (shape[1] or 2) * (shape[2] or 2) > 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="the full model, not light")
    parser.add_argument("--float64_statistics", action="store_true",
                        help="the CPU default's normalisation arithmetic (else the GPU's)")
    parser.add_argument("--composed_lin", action="store_true",
                        help="LIN and AdaLIN as the composition of two `normalize` and "
                             "`affine_mix` (normalization.fused_layer_instance_norm(False))")
    parser.add_argument("--convs_as_matmul", action="store_true",
                        help="every conv that can run as a windows matmul "
                             "(windows_matmul.convs_as_matmul, here on the CPU)")
    parser.add_argument("--max_filters", type=int, default=None,
                        help="with --convs_as_matmul: only convs to at most this many "
                             "channels (1: the discriminators' heads)")
    parser.add_argument("--hlo", action="store_true",
                        help="also count all ops of the traced graph and the instructions "
                             "of the step's optimized XLA HLO (a rough kernel-count proxy)")
    parser.add_argument("--mixed_precision", choices=("bfloat16",), default=None,
                        help="train.py's --mixed_precision (Keras' mixed_bfloat16 policy)")
    args = parser.parse_args()

    import keras
    import tensorflow as tf

    if args.mixed_precision:
        keras.mixed_precision.set_global_policy(f"mixed_{args.mixed_precision}")
    from train_rows import make_config

    from ugatit_tf.layers.normalization import fused_layer_instance_norm
    from ugatit_tf.layers.windows_matmul import convs_as_matmul
    from ugatit_tf.trainer import Trainer

    config = make_config(not args.full, 4, 128)
    trainer = Trainer(config, tempfile.mkdtemp(), tf.distribute.OneDeviceStrategy("/cpu:0"),
                      float32_statistics=not args.float64_statistics)
    batch = tf.zeros((1, 128, 128, 3))
    matmul_devices = ("CPU",) if args.convs_as_matmul else ()
    with (fused_layer_instance_norm(not args.composed_lin),
          convs_as_matmul(*matmul_devices, max_filters=args.max_filters)):
        graph = tf.function(trainer._replica_losses).get_concrete_function(batch, batch).graph
        if args.hlo:
            print(f"{len(all_ops(graph))} ops in the traced graph (its functions included)")
            compiler_ir = tf.function(trainer._replica_losses, jit_compile=True
                                      ).experimental_get_compiler_ir(batch, batch)
            hlo = compiler_ir(stage="optimized_hlo")
            entry = hlo[hlo.index("ENTRY"):]
            print(f"{hlo_instructions(entry)} instructions in the optimized HLO's entry "
                  f"computation ({entry.count(' fusion(')} fusions, "
                  f"{entry.count(' convolution(')} convolutions)")
            # before optimisation: the CPU's own passes turn bfloat16 convs into float32
            types = element_types(compiler_ir(stage="hlo"), ("convolution", "dot", "reduce"))
            print("traced HLO, by element type: " + ", ".join(
                f"{count} {kind} {dtype}" for (kind, dtype), count in sorted(types.items())))
    ops = reduction_ops(graph)
    counts = collections.Counter(owner(op.name) for op in ops)
    maps = collections.Counter(owner(op.name) for op in ops if over_feature_maps(op))
    print(f"{len(ops)} reduction ops in one {'full' if args.full else 'light'} step "
          f"({sum(maps.values())} over feature maps):")
    for name, count in counts.most_common():
        print(f"  {name:22s} {count:5d}  {count / len(ops):4.0%}  ({maps[name]} over maps)")


if __name__ == "__main__":
    main()
