"""CycleGAN's ResnetGenerator and PatchGANDiscriminator: shared checks, official
parameter counts, shapes, bad arguments."""

import numpy as np
import pytest
from testing import run_layer_checks

from ugatit_tf.models.cyclegan import PatchGANDiscriminator, ResnetGenerator


def images(height, width, batch=1, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, (batch, height, width, 3)).astype(np.float32)


def count_trainable(net):
    return sum(int(np.prod(v.shape)) for v in net.trainable_weights)


def test_generator_shared_checks():
    run_layer_checks(lambda **kw: ResnetGenerator(4, 1, **kw), images(16, 16, batch=2),
                     float32_outputs=True, bf16_tolerance=0.1)


def test_discriminator_shared_checks():
    run_layer_checks(lambda **kw: PatchGANDiscriminator(4, 2, **kw), images(24, 24, batch=2),
                     float32_outputs=True, bf16_tolerance=0.1)


def test_official_parameter_counts():
    # ngf = ndf = 64, 9 blocks (the 256 px setting); the counts do not depend on the size.
    gen = ResnetGenerator(64, 9)
    gen.build((None, 256, 256, 3))
    disc = PatchGANDiscriminator(64, 3)
    disc.build((None, 256, 256, 3))
    assert count_trainable(gen) == 11_378_179
    assert count_trainable(disc) == 2_764_737
    assert not gen.non_trainable_weights and not disc.non_trainable_weights


@pytest.mark.parametrize("size, logits", [(64, 6), (96, 10), (256, 30)])
def test_shapes(size, logits):
    gen, disc = ResnetGenerator(4, 1), PatchGANDiscriminator(4, 3)
    image = gen(images(size, size + 8))
    assert image.shape == (1, size, size + 8, 3)
    assert np.all(np.abs(np.asarray(image)) <= 1.0)
    assert disc(images(size, size)).shape == (1, logits, logits, 1)


def test_float64_policy_outputs_float64():
    gen, disc = ResnetGenerator(4, 1, dtype="float64"), PatchGANDiscriminator(4, 3,
                                                                            dtype="float64")
    assert gen(images(16, 16)).dtype == "float64"
    assert disc(images(64, 64)).dtype == "float64"
    assert all(v.dtype == "float64" for v in gen.weights + disc.weights)


@pytest.mark.parametrize("height, width", [(18, 16), (4, 4), (16, 30)])
def test_generator_rejects_bad_sizes(height, width):
    with pytest.raises(ValueError, match=f"multiples of 4, at least 8; got {height}x{width}"):
        ResnetGenerator(4, 1)(images(height, width))


def test_discriminator_rejects_small_inputs():
    with pytest.raises(ValueError, match=r"num_layers=3\) needs inputs of at least 24 px, "
                                         r"got 16x16"):
        PatchGANDiscriminator(4, 3)(images(16, 16))


@pytest.mark.parametrize("make, message", [
    (lambda: ResnetGenerator(0), "base_filters must be an int >= 1, got 0"),
    (lambda: ResnetGenerator(4, 0), "num_res_blocks must be an int >= 1, got 0"),
    (lambda: ResnetGenerator(4, 1, out_channels=0), "out_channels must be an int >= 1"),
    (lambda: PatchGANDiscriminator(-1), "base_filters must be an int >= 1, got -1"),
    (lambda: PatchGANDiscriminator(4, 0), "num_layers must be an int >= 1, got 0"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()
