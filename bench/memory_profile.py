"""What holds memory at the training step's peak: TF's allocations, by tensor.

    python bench/memory_profile.py --row=light64_128
    python bench/memory_profile.py --row=full64_256 --top=20

Runs one row of bench/train_bench.py (same Trainer, same runtime settings) with TF's
BFC allocator on the CPU (`TF_CPU_ALLOCATOR_USE_BFC=true`, set here before TF starts),
whose allocations the TF profiler records with the op and shape of each tensor. One
step is traced after a warm-up step; the events are replayed to find the moment of the
largest `bytes_allocated` and the tensors live then that were allocated during the
step (the weights and optimizer slots, allocated before, are reported as one number:
TF's allocation before the step). Prints those tensors by size and summed by kind
(gradients, activations, ...). This is how the memory changes in bench/RESULTS.md
were found; peak RSS (bench/train_bench.py) is this peak plus TF's fixed cost and
malloc's slack.
"""

import collections
import glob
import os
import sys
import tempfile

os.environ["TF_CPU_ALLOCATOR_USE_BFC"] = "true"

from absl import app, flags  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from train_rows import ROWS, trainer_on_constant_batch  # noqa: E402  (bench/ is on sys.path)

FLAGS = flags.FLAGS
flags.DEFINE_enum("row", "light64_128", list(ROWS), "The configuration to profile.")
flags.DEFINE_integer("top", 25, "Tensors to list.")

# Kinds of tensors, by the op that allocated them (first match).
KINDS = (("torch_adam", "optimizer temporaries"), ("AddN", "gradient sums"),
         ("BackpropFilter", "conv weight gradients"), ("gradient_tape", "other gradients"),
         ("gen_", "generator activations"), ("disc_", "discriminator activations"))


def kind(op):
    return next((name for pattern, name in KINDS if pattern in op), "other")


def memory_events(logdir):
    """(time, is_allocation, stats) of every allocator event in the profile."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    with open(glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)[0],
              "rb") as f:
        space.ParseFromString(f.read())
    events = []
    for plane in space.planes:
        for line in plane.lines:
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                if name not in ("MemoryAllocation", "MemoryDeallocation"):
                    continue
                stats = {}
                for stat in event.stats:
                    key = plane.stat_metadata[stat.metadata_id].name
                    stats[key] = (stat.str_value or stat.int64_value or stat.uint64_value
                                  or (plane.stat_metadata[stat.ref_value].name
                                      if stat.ref_value else None))
                events.append((line.timestamp_ns * 1000 + event.offset_ps,
                               name == "MemoryAllocation", stats))
    return sorted(events, key=lambda e: e[0])


def main(argv):
    del argv
    import tensorflow as tf

    from ugatit_tf.runtime import configure_runtime

    configure_runtime(1)
    with tempfile.TemporaryDirectory() as workdir, tempfile.TemporaryDirectory() as logdir:
        trainer, iterator, _ = trainer_on_constant_batch(FLAGS.row, workdir, steps_per_loop=1)
        trainer.prepare(iterator)
        float(trainer._loop(iterator, tf.constant(1))[0]["G_loss"])  # warm-up
        before = tf.config.experimental.get_memory_info("CPU:0")["current"]
        tf.profiler.experimental.start(
            logdir, options=tf.profiler.experimental.ProfilerOptions(host_tracer_level=3))
        float(trainer._loop(iterator, tf.constant(1))[0]["G_loss"])
        tf.profiler.experimental.stop()
        events = memory_events(logdir)

    live, peak, at_peak, peak_op = {}, 0, {}, None
    for _, is_alloc, stats in events:
        if is_alloc:
            live[stats["addr"]] = (int(stats["requested_bytes"]), str(stats.get("tf_op")),
                                   str(stats.get("shape")))
        else:
            live.pop(stats["addr"], None)
        if int(stats["bytes_allocated"]) > peak:
            peak, at_peak, peak_op = int(stats["bytes_allocated"]), dict(live), stats
    gib = 2**30
    print(f"\n{FLAGS.row}: TF's peak allocation {peak / gib:.2f} GiB; before the step "
          f"(weights, optimizer slots) {before / gib:.2f} GiB; peak reached allocating "
          f"{peak_op.get('tf_op')} {peak_op.get('shape')}\n")
    by_kind = collections.Counter()
    for size_, op, _ in at_peak.values():
        by_kind[kind(op)] += size_
    print("Allocated during the step and live at the peak, by kind:")
    for name, total in by_kind.most_common():
        print(f"  {total / gib:7.3f} GiB  {name}")
    print(f"\nThe {FLAGS.top} largest:")
    for size_, op, shape in sorted(at_peak.values(), reverse=True)[:FLAGS.top]:
        print(f"  {size_ / 2**20:9.1f} MiB  {shape:22s} {op}")


if __name__ == "__main__":
    app.run(main)
