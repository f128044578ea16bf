"""UGATITGenerator: shared checks, official parameter counts, input sizes, bad arguments."""

import keras
import numpy as np
import pytest
from testing import run_layer_checks

from ugatit_tf.models import UGATITGenerator


def images(height, width, batch=1, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, (batch, height, width, 3)).astype(np.float32)


def count_trainable(net):
    return sum(int(np.prod(v.shape)) for v in net.trainable_weights)


@pytest.mark.parametrize("light", [True, False], ids=["light", "full"])
def test_shared_checks(light):
    run_layer_checks(
        lambda **kw: UGATITGenerator(4, 1, image_size=32, light=light, **kw),
        images(32, 32, batch=2), float32_outputs=True, bf16_tolerance=0.1,
        dynamic_spatial=light)


@pytest.mark.parametrize("light, expected", [(False, 278_959_808), (True, 10_589_888)],
                         ids=["full", "light"])
def test_official_parameter_counts(light, expected):
    gen = UGATITGenerator(64, 4, image_size=256, light=light)
    # TF draws the 268M uniform values of the full MLP's first kernel in ~8 s on 2 cores;
    # the count does not depend on them.
    gen.get_layer("mlp_dense1").kernel_initializer = keras.initializers.Zeros()
    gen.build((None, 256, 256, 3))
    assert count_trainable(gen) == expected
    assert not gen.non_trainable_weights


def test_outputs_and_ranges():
    gen = UGATITGenerator(4, 1, image_size=32)
    image, cam_logit, heatmap = gen(images(32, 32, batch=2))
    assert image.shape == (2, 32, 32, 3) and cam_logit.shape == (2, 2)
    assert heatmap.shape == (2, 8, 8, 1)
    assert np.all(np.abs(np.asarray(image)) <= 1.0)


@pytest.mark.parametrize("height, width", [(64, 96), (100, 132), (8, 12)])
def test_light_takes_any_multiple_of_4(height, width):
    gen = UGATITGenerator(4, 1, image_size=32, light=True)
    gen.build((None, 32, 32, 3))
    image, cam_logit, heatmap = gen(images(height, width))
    assert image.shape == (1, height, width, 3)
    assert cam_logit.shape == (1, 2)
    assert heatmap.shape == (1, height // 4, width // 4, 1)


@pytest.mark.parametrize("height, width", [(64, 98), (30, 32), (4, 8)])
def test_light_rejects_sizes_that_are_not_multiples_of_4_or_too_small(height, width):
    gen = UGATITGenerator(4, 1, image_size=32, light=True)
    with pytest.raises(ValueError, match=f"multiples of 4, at least 8; got {height}x{width}"):
        gen(images(height, width))


@pytest.mark.parametrize("height, width", [(64, 64), (32, 36), (28, 28)])
def test_full_rejects_other_sizes(height, width):
    gen = UGATITGenerator(4, 1, image_size=32)
    gen.build((None, 32, 32, 3))
    with pytest.raises(ValueError, match=rf"built for 32x32 inputs.*got {height}x{width}.*"
                                         r"light=True"):
        gen(images(height, width))


def test_full_rejects_a_build_at_another_size():
    with pytest.raises(ValueError, match=r"built for 32x32 inputs.*got 64x64"):
        UGATITGenerator(4, 1, image_size=32).build((None, 64, 64, 3))


@pytest.mark.parametrize("kwargs, message", [
    (dict(base_filters=0), "base_filters must be an int >= 1, got 0"),
    (dict(base_filters=-64), "base_filters must be an int >= 1, got -64"),
    (dict(num_res_blocks=0), "num_res_blocks must be an int >= 1, got 0"),
    (dict(out_channels=0), "out_channels must be an int >= 1, got 0"),
    (dict(image_size=130), "image_size must be a multiple of 4.*use 128 or 132"),
    (dict(image_size=4), "image_size must be an int >= 8, got 4"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        UGATITGenerator(**kwargs)
