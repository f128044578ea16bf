"""Largest errors against the official numbers, per golden file and kind of quantity.

    python bench/golden_report.py            # every file of ../shared/golden/<family>/
    python bench/golden_report.py --family=cyclegan
    python bench/golden_report.py --worst=5  # U-GAT-IT: the 5 arrays furthest above PT's

For each file: our float64 error, our float32 error and the official code's own float32
error (its `f32/` run against the float64 reference), each the largest scaled error
(difference / largest magnitude of the array; loss terms relative; u, v absolute) over
forward outputs, loss terms, gradients, the two-iteration training step's weight changes
(generators and discriminators apart), the share of generator weights whose change is
off by more than 10% of their array's change ("step G share", in [0, 1]) and the step's
totals: the quantities tests/test_golden.py bounds. CycleGAN and AttentionGAN rows come
from their golden tests' helpers (tests/tasks/test_cyclegan_golden.py,
tests/attention_gan_golden.py), which compare the round-off gradients of biases in front
of a normalisation absolutely ("zero" rows).
"""

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "tasks"), str(ROOT)]
from golden import (  # noqa: E402
    Golden,
    forward_rows,
    golden_files,
    objective_rows,
    training_rows,
)


def rows_of(g, dtype):
    nets = g.build_networks(dtype=dtype)
    rows = forward_rows(g, nets, dtype)
    for which in ("dloss", "gloss"):
        rows += objective_rows(g, nets, which, dtype)
    with tempfile.TemporaryDirectory() as workdir:
        rows += training_rows(g, dtype, workdir)
    return rows


def group(row):
    if row.kind == "train":
        return "step G" if row.key.split("/")[2].startswith("gen") else "step D"
    if row.kind == "state":
        return "step u, v"
    if row.kind == "share":
        return "step G share"
    return "step totals" if row.key.startswith("train/") else row.kind


GROUPS = ("forward", "loss", "grad", "step D", "step G", "step G share", "step totals",
          "step u, v")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--family", default="all",
                        choices=["all", "ugatit", "cyclegan", "attention_gan"])
    parser.add_argument("--worst", type=int, default=0,
                        help="also list the float32 arrays with the largest ours/PT ratio")
    args = parser.parse_args()
    print(f"{'file':34s} {'quantity':13s} {'ours f64':>9s} {'ours f32':>9s} {'PT f32':>9s}")
    for family in (["ugatit", "cyclegan", "attention_gan"] if args.family == "all"
                   else [args.family]):
        files = golden_files(family)
        if not files:
            sys.exit(f"No golden files in ../shared/golden/{family}.")
        REPORTS[family](files, args)


def cyclegan_report(files, args):
    from test_cyclegan_golden import golden_rows

    for path in files:
        f64, f32 = golden_rows(path, "float64"), golden_rows(path, "float32")
        for kind in ("forward", "loss", "grad", "train", "zero"):
            a = [r.ours for r in f64 if r.kind == kind]
            b = [r for r in f32 if r.kind == kind]
            if a:
                print(f"{path.stem:34s} {kind:13s} {max(a):9.1e} "
                      f"{max(r.ours for r in b):9.1e} {max(r.official for r in b):9.1e}")


def attention_gan_report(files, args):
    from attention_gan_golden import summary

    for path in files:
        for group, (a, b, c) in summary(path).items():
            print(f"{path.stem:34s} {group:13s} {a:9.1e} {b:9.1e} {c:9.1e}")


def ugatit_report(files, args):
    for path in files:
        g = Golden(path)
        f64, f32 = rows_of(g, "float64"), rows_of(g, "float32")
        for name in GROUPS:
            a = [r for r in f64 if group(r) == name]
            b = [r for r in f32 if group(r) == name]
            print(f"{g.name:34s} {name:13s} {max(r.ours for r in a):9.1e} "
                  f"{max(r.ours for r in b):9.1e} {max(r.official for r in b):9.1e}")
        if args.worst:
            ranked = sorted((r for r in f32 if r.kind not in ("state", "share")),
                            key=lambda r: r.ours / max(r.official, 1e-30), reverse=True)
            for r in ranked[:args.worst]:
                print(f"    {r.key}: ours {r.ours:.2e}, PT {r.official:.2e} "
                      f"({r.ours / max(r.official, 1e-30):.1f}x)")


REPORTS = {"ugatit": ugatit_report, "cyclegan": cyclegan_report,
           "attention_gan": attention_gan_report}

if __name__ == "__main__":
    main()
