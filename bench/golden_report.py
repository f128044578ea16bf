"""Largest errors against the official numbers, per golden file and kind of quantity.

    python bench/golden_report.py            # every file of ../shared/golden/ugatit
    python bench/golden_report.py --worst=5  # and the 5 arrays furthest above PT's error

For each file: our float64 error, our float32 error and the official code's own float32
error (its `f32/` run against the float64 reference), each the largest scaled error
(difference / largest magnitude of the array; loss terms relative; u, v absolute) over
forward outputs, loss terms, gradients, the two-iteration training step's weight changes
(generators and discriminators apart) and its totals: the quantities tests/test_golden.py
bounds.
"""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
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
    return "step totals" if row.key.startswith("train/") else row.kind


GROUPS = ("forward", "loss", "grad", "step D", "step G", "step totals", "step u, v")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worst", type=int, default=0,
                        help="also list the float32 arrays with the largest ours/PT ratio")
    args = parser.parse_args()
    files = golden_files("ugatit")
    if not files:
        sys.exit("No golden files in ../shared/golden/ugatit.")
    print(f"{'file':26s} {'quantity':12s} {'ours f64':>9s} {'ours f32':>9s} {'PT f32':>9s}")
    for path in files:
        g = Golden(path)
        f64, f32 = rows_of(g, "float64"), rows_of(g, "float32")
        for name in GROUPS:
            a = [r for r in f64 if group(r) == name]
            b = [r for r in f32 if group(r) == name]
            print(f"{g.name:26s} {name:12s} {max(r.ours for r in a):9.1e} "
                  f"{max(r.ours for r in b):9.1e} {max(r.official for r in b):9.1e}")
        if args.worst:
            ranked = sorted((r for r in f32 if r.kind != "state"),
                            key=lambda r: r.ours / max(r.official, 1e-30), reverse=True)
            for r in ranked[:args.worst]:
                print(f"    {r.key}: ours {r.ours:.2e}, PT {r.official:.2e} "
                      f"({r.ours / max(r.official, 1e-30):.1f}x)")


if __name__ == "__main__":
    main()
