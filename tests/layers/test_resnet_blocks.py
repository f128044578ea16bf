"""The generator's residual blocks: shared checks, structure, bad arguments."""

import numpy as np
import pytest
from testing import run_layer_checks

from ugatit_tf.layers import ResnetAdaLINBlock, ResnetBlock, ResnetDecoderBlock
from ugatit_tf.layers.normalization import ADAPTIVE_NORMS, DECODER_NORMS

RNG = np.random.default_rng(0)
FEATURES = RNG.standard_normal((2, 6, 7, 4)).astype(np.float32)
GAMMA = RNG.normal(1.0, 0.3, (2, 4)).astype(np.float32)
BETA = RNG.normal(0.0, 0.3, (2, 4)).astype(np.float32)


def test_resnet_block_shared_checks():
    run_layer_checks(lambda **kw: ResnetBlock(4, **kw), FEATURES)


def test_resnet_adalin_block_shared_checks():
    run_layer_checks(lambda **kw: ResnetAdaLINBlock(4, **kw), (FEATURES, GAMMA, BETA))


def test_blocks_are_residual():
    # With the second conv zeroed the block is the identity.
    for block, args in ((ResnetBlock(4), (FEATURES,)),
                        (ResnetAdaLINBlock(4), (FEATURES, GAMMA, BETA))):
        block(*args)
        block.conv2.kernel.assign(np.zeros(block.conv2.kernel.shape, np.float32))
        out = np.asarray(block(*args))
        # IN of an all-zero map is 0; AdaLIN of it is beta.
        shift = BETA[:, None, None] if isinstance(block, ResnetAdaLINBlock) else 0.0
        np.testing.assert_allclose(out, FEATURES + shift, rtol=1e-5, atol=1e-5)


def test_official_parameter_layout():
    block = ResnetAdaLINBlock(8)
    block.build((None, 16, 16, 8))
    shapes = sorted((v.path.split("/", 1)[1], tuple(v.shape)) for v in block.trainable_weights)
    assert shapes == [("conv1/kernel", (3, 3, 8, 8)), ("conv2/kernel", (3, 3, 8, 8)),
                      ("norm1/rho", (8,)), ("norm2/rho", (8,))]


@pytest.mark.parametrize("cls", [ResnetBlock, ResnetAdaLINBlock, ResnetDecoderBlock])
@pytest.mark.parametrize("filters", [0, -4, 2.0])
def test_bad_filters(cls, filters):
    with pytest.raises(ValueError, match=f"filters must be a positive int, got {filters}"):
        cls(filters)


def decoder_block_args(norm):
    return (FEATURES, GAMMA, BETA) if norm in ADAPTIVE_NORMS else (FEATURES,)


@pytest.mark.parametrize("norm", [n for n in DECODER_NORMS if n != "adalin"])
def test_decoder_block_shared_checks(norm):
    run_layer_checks(lambda **kw: ResnetDecoderBlock(4, norm=norm, **kw),
                     decoder_block_args(norm))


def test_decoder_block_with_adalin_is_the_official_block():
    official, generic = ResnetAdaLINBlock(4), ResnetDecoderBlock(4, norm="adalin")
    official(FEATURES, GAMMA, BETA)
    generic(FEATURES, GAMMA, BETA)
    generic.set_weights(official.get_weights())
    np.testing.assert_array_equal(np.asarray(generic(FEATURES, GAMMA, BETA)),
                                  np.asarray(official(FEATURES, GAMMA, BETA)))
    assert "norm" not in official.get_config()


@pytest.mark.parametrize("norm, norm_weights", [
    ("adalin", [("rho", (8,))]), ("adain", []), ("instance", []), ("layer", []),
    ("group", [])])
def test_decoder_block_parameter_layout(norm, norm_weights):
    block = ResnetDecoderBlock(8, norm=norm)
    block.build((None, 16, 16, 8))
    shapes = sorted((v.path.split("/", 1)[1], tuple(v.shape)) for v in block.trainable_weights)
    want = [("conv1/kernel", (3, 3, 8, 8)), ("conv2/kernel", (3, 3, 8, 8))]
    want += [(f"norm{i}/{name}", shape) for i in (1, 2) for name, shape in norm_weights]
    assert shapes == sorted(want)


@pytest.mark.parametrize("norm", DECODER_NORMS)
def test_decoder_block_gamma_beta_only_for_adaptive_norms(norm):
    block = ResnetDecoderBlock(4, norm=norm)
    wrong = (FEATURES,) if norm in ADAPTIVE_NORMS else (FEATURES, GAMMA, BETA)
    with pytest.raises(ValueError, match=rf"norm='{norm}'\) (needs|takes no) gamma and beta"):
        block(*wrong)


def test_decoder_block_bad_norm():
    with pytest.raises(ValueError, match="Unknown decoder_norm 'batch'"):
        ResnetDecoderBlock(4, norm="batch")
