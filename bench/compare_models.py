"""Trains several presets on the same data for the same iterations, and compares them.

    python bench/compare_models.py --iterations=1500 \
        --presets=configs/demo.py,configs/cyclegan/demo.py,configs/attention_gan/demo.py:2
    python bench/compare_models.py --dataset=sunflower2daisy --data_root=../shared/data

For each preset: `Trainer` runs `--iterations` from scratch in `<root>/<name>/` (a work
dir like train.py's: evaluate.py, export.py and translate.py take it), timed after its
first loop (tracing and compilation excluded); then the test sets are translated and
scored with one domain classifier shared by all presets (trained once, cached in
`<root>/eval/`), so that the scores compare. Prints one table and writes
`<root>/comparison.json`. KID/FID need Inception weights (`--inception_weights`).
"""

import importlib.util
import json
import os
import sys
import time
from pathlib import Path

from absl import app, flags

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FLAGS = flags.FLAGS
flags.DEFINE_list("presets", ["configs/demo.py", "configs/cyclegan/demo.py",
                              "configs/attention_gan/demo.py:1",
                              "configs/attention_gan/demo.py:2"],
                  "Config files (`path[:argument]`, as --config takes them).")
flags.DEFINE_integer("iterations", 1500, "Training iterations per preset.")
flags.DEFINE_string("dataset", "synthetic", "As train.py's --dataset.")
flags.DEFINE_string("data_root", None, "As train.py's --data_root.")
flags.DEFINE_integer("image_size", None, "Train and test every preset at this size "
                     "[default: the largest preset size: scheme I's D needs 94 px].")
flags.DEFINE_string("root", "work_dirs/compare", "Work dirs and the table go here.")
flags.DEFINE_string("inception_weights", None, "ImageNet InceptionV3 no-top .h5 for KID/FID.")
flags.DEFINE_integer("steps_per_loop", 10, "Iterations per compiled call.")


def load_preset(spec):
    path, _, argument = spec.partition(":")
    loader = importlib.util.spec_from_file_location(Path(path).stem, path)
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    config = module.get_config(argument) if argument else module.get_config()
    name = Path(path).stem if Path(path).parent.name == "configs" else \
        f"{Path(path).parent.name}_{Path(path).stem}"
    return (f"{name}_{argument}" if argument else name), config


def parameter_counts(task):
    count = lambda nets: sum(int(v.shape.num_elements()) for n in nets
                             for v in n.trainable_variables)
    return count(task.generator_networks), count(task.discriminator_networks)


def train_one(name, config, workdir):
    import tensorflow as tf

    from ugatit_tf import checkpoints
    from ugatit_tf.trainer import Trainer

    trainer = Trainer(config, workdir, tf.distribute.OneDeviceStrategy("/cpu:0"),
                      steps_per_loop=FLAGS.steps_per_loop)
    checkpoints.write_config(workdir, config)
    trainer.restore_or_initialize()
    first = min(FLAGS.steps_per_loop, FLAGS.iterations)
    trainer.train(num_steps=first)  # tracing, compilation and the first loop
    start, begin = time.perf_counter(), int(trainer.step.numpy())
    trainer.train()
    seconds = time.perf_counter() - start
    done = int(trainer.step.numpy()) - begin
    trainer.close()
    gen, disc = parameter_counts(trainer.task)
    return {"iterations_per_second": done / seconds if done else None,
            "generator_parameters": gen, "discriminator_parameters": disc}


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    from ugatit_tf.evaluation import pipeline

    presets = [load_preset(spec) for spec in FLAGS.presets]
    image_size = FLAGS.image_size or max(c.model.image_size for _, c in presets)
    rows = {}
    for name, config in presets:
        config.data.dataset = FLAGS.dataset
        if FLAGS.data_root:
            config.data.data_root = FLAGS.data_root
        config.model.image_size = image_size
        config.train.iterations = FLAGS.iterations
        config.train.save_freq = FLAGS.iterations
        config.train.print_freq = 10 * FLAGS.iterations  # no sample grids
        workdir = os.path.join(FLAGS.root, name)
        print(f"== {name}: {config.get('task', 'ugatit')}, {FLAGS.iterations} iterations")
        row = train_one(name, config, workdir)
        payload, _ = pipeline.run(
            workdir=workdir, eval_dir=os.path.join(FLAGS.root, "eval"),
            output=os.path.join(workdir, "eval", "metrics.json"),
            inception_weights=FLAGS.inception_weights, progress=False)
        for d in ("a2b", "b2a"):
            r = payload[d]
            row[d] = {"accuracy": r.get("translation_accuracy"),
                      "content": r.get("content_match"),
                      "classifier_kid_x100": r.get("classifier_kid_x100", {}).get("mean"),
                      "kid_x100": r.get("kid_x100", {}).get("mean")}
            row["real_target_accuracy_" + d] = r.get("real_target_accuracy")
            row["source_as_target_" + d] = r.get("source_as_target")
        rows[name] = row

    print()
    print(format_table(rows))
    out = os.path.join(FLAGS.root, "comparison.json")
    with open(out, "w") as f:
        json.dump({"dataset": FLAGS.dataset, "iterations": FLAGS.iterations,
                   "image_size": image_size, "rows": rows}, f, indent=2)
    print(f"\nWrote {out}")


def format_table(rows):
    pct = lambda v: "-" if v is None else f"{100 * v:.1f}%"
    num = lambda v: "-" if v is None else f"{v:.2f}"
    header = ["preset", "acc A->B", "acc B->A", "content A->B", "content B->A",
              "clf KID A->B", "clf KID B->A",
              "KID A->B", "KID B->A", "it/s", "G params", "D params"]
    lines = [header]
    for name, r in rows.items():
        lines.append([name, pct(r["a2b"]["accuracy"]), pct(r["b2a"]["accuracy"]),
                      pct(r["a2b"]["content"]), pct(r["b2a"]["content"]),
                      num(r["a2b"]["classifier_kid_x100"]), num(r["b2a"]["classifier_kid_x100"]),
                      num(r["a2b"]["kid_x100"]), num(r["b2a"]["kid_x100"]),
                      num(r["iterations_per_second"]), f"{r['generator_parameters']:,}",
                      f"{r['discriminator_parameters']:,}"])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ["  ".join(c.rjust(w) for c, w in zip(line, widths)) for line in lines]
    text.insert(1, "-" * len(text[0]))
    first = next(iter(rows.values()))
    text.append(f"(the classifier's accuracy on real target images: "
                f"{pct(first['real_target_accuracy_a2b'])} B, "
                f"{pct(first['real_target_accuracy_b2a'])} A; untranslated sources labelled "
                f"as the target: {pct(first['source_as_target_a2b'])} A->B, "
                f"{pct(first['source_as_target_b2a'])} B->A)")
    return "\n".join(text)


if __name__ == "__main__":
    app.run(main)
