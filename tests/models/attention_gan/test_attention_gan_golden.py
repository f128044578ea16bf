"""AttentionGAN's forward passes, losses and gradients against the official PyTorch code
(../shared/golden/attention_gan, schemes I and II): float64 to round-off, float32 within
twice the official float32 error. The two training iterations are checked in
tests/tasks/test_attention_gan_task.py."""

import numpy as np
import pytest
from attention_gan_golden import AttentionGolden, golden_errors, golden_files

from ugatit_tf.models.attention_gan import Scheme1Discriminator, Scheme1Generator, Scheme2Generator
from ugatit_tf.models.cyclegan import PatchGANDiscriminator

FILES = golden_files()
STATIC = ("forward", "loss", "grad")

# float64 (project convention): forward outputs and loss terms within 1e-10 of their
# scale, gradients within 1e-8.
F64 = {"forward": 1e-10, "loss": 1e-10, "grad": 1e-8}
# Gradients that are pure round-off (biases in front of a normalisation) are compared
# absolutely: the README measures ~1e-15 in float64 and ~1e-6 in float32 for them.
NULL_GRAD_ABS = {"float64": 1e-12, "float32": 1e-5}


def count_trainable(net):
    return sum(int(np.prod(v.shape)) for v in net.trainable_weights)


def test_golden_folder_has_files():
    assert FILES, "no .npz in ../shared/golden/attention_gan: the folder is missing or empty"


@pytest.fixture(params=FILES, ids=[p.stem for p in FILES])
def path(request):
    return request.param


def test_every_golden_key_is_computed(path):
    g = AttentionGolden(path)
    # BatchNorm's num_batches_tracked is not kept: PT reads it only when momentum is
    # None, which the official code never uses (ugatit_tf/convert/attention_gan.py).
    expected = {k for k in g.data.files
                if k.startswith(("forward", "gloss/", "dloss/", "ggrad/", "dgrad/", "train/"))
                and not k.endswith(".num_batches_tracked")}
    assert set(golden_errors(path, "float64")) == expected


def _failures(rows, kinds, bound, null_abs):
    bad = {}
    for key, r in rows.items():
        if r["kind"] not in kinds:
            continue
        if r["null"]:
            if r["error"] * max(r["scale"], 1e-300) > null_abs:
                bad[key] = ("absolute", r["error"] * r["scale"])
        elif r["error"] > bound(r):
            bad[key] = (r["error"], bound(r))
    return bad


def test_float64_matches_to_round_off(path):
    rows = golden_errors(path, "float64")
    assert sum(r["kind"] == "grad" for r in rows.values()) > 0
    bad = _failures(rows, STATIC, lambda r: F64[r["kind"]], NULL_GRAD_ABS["float64"])
    assert not bad, bad


def f32_bound(row):
    """Twice the official code's own float32 error plus 1e-6 of the scale."""
    return 2.0 * row["official_f32"] + 1e-6


def test_float32_within_official_error(path):
    rows = golden_errors(path, "float32")
    missing = [k for k, r in rows.items()
               if r["kind"] in STATIC and not r["null"] and r["official_f32"] is None]
    assert not missing, f"no official float32 value for {missing}"
    bad = _failures(rows, STATIC, f32_bound, NULL_GRAD_ABS["float32"])
    assert not bad, bad


def test_parameter_counts_match(path):
    g = AttentionGolden(path)
    task = g.task("float32")
    for name, net in task.networks.items():
        assert count_trainable(net) == int(g.data[f"param_count/{name}"]), name


def test_official_parameter_counts_at_paper_size():
    # Scheme II at ngf = ndf = 64, 9 blocks (README: G 11,822,949, D 2,764,737); scheme
    # I's D at its fixed official widths 64..512 (6,953,793). Counts do not depend on
    # the image size.
    gen = Scheme2Generator(64, 9)
    gen.build((None, 64, 64, 3))
    disc = PatchGANDiscriminator(64, 3)
    disc.build((None, 64, 64, 3))
    disc1 = Scheme1Discriminator()
    disc1.build((None, 96, 96, 3))
    assert count_trainable(gen) == 11_822_949
    assert count_trainable(disc) == 2_764_737
    assert count_trainable(disc1) == 6_953_793
    assert not gen.non_trainable_weights


def test_scheme1_generator_defaults_are_official():
    gen = Scheme1Generator()
    assert (gen.base_filters, gen.num_res_blocks, gen.norm) == (64, 6, "batch")
