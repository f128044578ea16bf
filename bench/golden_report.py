"""Largest errors against the official numbers, per golden file and kind of quantity.

    python bench/golden_report.py            # every file of ../shared/golden/<family>/
    python bench/golden_report.py --family=cyclegan
    python bench/golden_report.py --worst=5  # U-GAT-IT: the 5 arrays furthest above PT's
    python bench/golden_report.py --family=ugatit --device=gpu --xla --tf32=off \
        --float32_statistics --dtypes=float32 --bounds   # a GPU's float32 path

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

U-GAT-IT only: `--device`, `--xla`, `--tf32` and `--float32_statistics` choose where and
how the float32 numbers are computed (the forward and gradient rows run eagerly on the
device, the training step through the real Trainer, XLA-compiled with `--xla`), and
`--bounds` checks each file against tests/test_golden.py's float32 bounds, so that a
device the tests do not run on (a GPU) can be held to them.
"""

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "tasks"), str(ROOT)]
from golden import (  # noqa: E402
    Golden,
    all_rows,
    float32_failures,
    float32_step_failures,
    golden_files,
)


def rows_of(g, dtype, args):
    with tempfile.TemporaryDirectory() as workdir:
        return all_rows(g, dtype, workdir, device=f"/{args.device}:0", jit_compile=args.xla,
                        float32_statistics=args.float32_statistics)


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
    parser.add_argument("--dtypes", default="float64,float32",
                        help="U-GAT-IT: the dtypes to compute, comma-separated")
    parser.add_argument("--device", default="cpu", choices=["cpu", "gpu"],
                        help="U-GAT-IT: where the networks and the step run")
    parser.add_argument("--xla", action="store_true",
                        help="U-GAT-IT: the training step compiled with XLA")
    parser.add_argument("--tf32", default="default", choices=["default", "on", "off"],
                        help="U-GAT-IT: TensorFloat-32 matmuls and convolutions on a GPU")
    parser.add_argument("--float32_statistics", action="store_true",
                        help="U-GAT-IT: float32 normalisation arithmetic (the Trainer's "
                             "switch of that name)")
    parser.add_argument("--bounds", action="store_true",
                        help="U-GAT-IT: check the float32 rows against tests/test_golden.py's "
                             "bounds; exit 1 if any fails")
    args = parser.parse_args()
    if args.tf32 != "default":
        import tensorflow as tf

        tf.config.experimental.enable_tensor_float_32_execution(args.tf32 == "on")
    print(f"{'file':34s} {'quantity':13s} {'ours f64':>9s} {'ours f32':>9s} {'PT f32':>9s}")
    for family in (["ugatit", "cyclegan", "attention_gan"] if args.family == "all"
                   else [args.family]):
        files = golden_files(family)
        if not files:
            sys.exit(f"No golden files in ../shared/golden/{family}.")
        REPORTS[family](files, args)
    if getattr(args, "failed", False):
        sys.exit(1)


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
    dtypes = args.dtypes.split(",")
    for path in files:
        g = Golden(path)
        rows = {dtype: rows_of(g, dtype, args) for dtype in dtypes}
        f64, f32 = rows.get("float64"), rows.get("float32")
        cell = lambda rows, name, attr: (  # noqa: E731
            "-" if rows is None else
            f"{max(getattr(r, attr) for r in rows if group(r) == name):.1e}")
        for name in GROUPS:
            print(f"{g.name:34s} {name:13s} {cell(f64, name, 'ours'):>9s} "
                  f"{cell(f32, name, 'ours'):>9s} {cell(f32, name, 'official'):>9s}")
        if args.worst and f32:
            ranked = sorted((r for r in f32 if r.kind not in ("state", "share")),
                            key=lambda r: r.ours / max(r.official, 1e-30), reverse=True)
            for r in ranked[:args.worst]:
                print(f"    {r.key}: ours {r.ours:.2e}, PT {r.official:.2e} "
                      f"({r.ours / max(r.official, 1e-30):.1f}x)")
        if args.bounds and f32:
            failures = float32_failures(f32) + float32_step_failures(f32)
            print(f"    float32 bounds of tests/test_golden.py: "
                  f"{'pass' if not failures else f'{len(failures)} failures'}")
            for failure in failures:
                print(f"      {failure}")
            args.failed = getattr(args, "failed", False) or bool(failures)


REPORTS = {"ugatit": ugatit_report, "cyclegan": cyclegan_report,
           "attention_gan": attention_gan_report}

if __name__ == "__main__":
    main()
