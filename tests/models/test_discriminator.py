"""UGATITDiscriminator: shared checks, official parameter counts and sizes, bad arguments."""

import numpy as np
import pytest
from testing import run_layer_checks

from ugatit_tf.models import UGATITDiscriminator
from ugatit_tf.models.discriminator import min_image_size


def images(height, width, batch=1, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, (batch, height, width, 3)).astype(np.float32)


def count_trainable(net):
    return sum(int(np.prod(v.shape)) for v in net.trainable_weights)


@pytest.mark.parametrize("num_layers", [4, 5])
def test_shared_checks(num_layers):
    run_layer_checks(lambda **kw: UGATITDiscriminator(4, num_layers, **kw),
                     images(32, 32, batch=2), float32_outputs=True, bf16_tolerance=0.1)


@pytest.mark.parametrize("num_layers, expected", [(7, 53_130_176), (5, 3_290_560)],
                         ids=["global", "local"])
def test_official_parameter_counts(num_layers, expected):
    disc = UGATITDiscriminator(64, num_layers)
    disc.build((None, 256, 256, 3))
    assert count_trainable(disc) == expected


@pytest.mark.parametrize("num_layers, size, logit_side", [
    (7, 256, 6), (5, 256, 30), (7, 128, 2), (5, 128, 14)])
def test_official_logit_map_sizes(num_layers, size, logit_side):
    disc = UGATITDiscriminator(2, num_layers)
    logits, cam_logit, heatmap = disc(images(size, size))
    assert logits.shape == (1, logit_side, logit_side, 1)
    assert cam_logit.shape == (1, 2)
    assert heatmap.shape == (1, logit_side + 1, logit_side + 1, 1)
    assert disc.compute_output_shape((1, size, size, 3)) == (
        logits.shape, cam_logit.shape, heatmap.shape)


def test_non_square_inputs():
    disc = UGATITDiscriminator(2, 5)
    logits, _, heatmap = disc(images(128, 96))
    assert logits.shape == (1, 14, 10, 1) and heatmap.shape == (1, 15, 11, 1)


def test_training_calls_update_every_power_iteration_state_and_inference_calls_none():
    disc = UGATITDiscriminator(4, 4)
    x = images(32, 32)
    disc(x)
    before = [v.numpy().copy() for v in disc.non_trainable_weights]
    assert len(before) == 2 * 6  # u, v of 3 feature convs, the head, 2 CAM classifiers
    disc(x, training=False)
    for b, v in zip(before, disc.non_trainable_weights):
        np.testing.assert_array_equal(v.numpy(), b, err_msg=v.path)
    disc(x, training=True)
    for b, v in zip(before, disc.non_trainable_weights):
        if b.size > 1:  # a one-unit layer's u is +-1 whatever happens
            assert np.max(np.abs(v.numpy() - b)) > 1e-4, f"{v.path} not updated"


def test_too_deep_for_the_image_size():
    assert min_image_size(7) == 96
    disc = UGATITDiscriminator(4, 7)
    with pytest.raises(ValueError, match=r"num_layers=7\) needs inputs of at least 96 px, "
                                         r"got 64x64\. Use fewer layers or larger images"):
        disc.build((None, 64, 64, 3))
    with pytest.raises(ValueError, match="needs inputs of at least 96 px, got 64x64"):
        disc(images(64, 64))


@pytest.mark.parametrize("kwargs, message", [
    (dict(base_filters=0), "base_filters must be an int >= 1, got 0"),
    (dict(base_filters=-8), "base_filters must be an int >= 1, got -8"),
    (dict(num_layers=2), "num_layers must be an int >= 3, got 2"),
    (dict(num_layers=5.0), "num_layers must be an int >= 3, got 5.0"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        UGATITDiscriminator(**kwargs)
