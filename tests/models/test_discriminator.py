"""UGATITDiscriminator: shared checks, official parameter counts and sizes, bad arguments;
the ablation without CAM: checks, parameter counts from the shapes."""

import numpy as np
import pytest
from testing import run_layer_checks

from ugatit_tf.layers import CAMAttention
from ugatit_tf.models import UGATITDiscriminator
from ugatit_tf.models.ugatit.discriminator import min_image_size


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


@pytest.mark.parametrize("use_cam", [True, False], ids=["cam", "no_cam"])
def test_batch_groups_call_is_two_calls(use_cam):
    """A training call on [real; fake] with batch_groups=2 gives the two training calls'
    outputs and power-iteration states (float64: to 1e-12 of each output's scale; only
    summation orders differ)."""
    one, grouped = (UGATITDiscriminator(4, 4, use_cam=use_cam, dtype="float64")
                    for _ in range(2))
    x = images(32, 32, batch=2).astype(np.float64)
    one(x[:1])
    grouped(x[:1])
    for a, b in zip(one.weights, grouped.weights, strict=True):
        b.assign(a)
    want = [one(x[:1], training=True), one(x[1:], training=True)]
    got = grouped(x, training=True, batch_groups=2)
    for i, out in enumerate(got):
        if out is None:
            assert not use_cam and want[0][i] is None
            continue
        expected = np.concatenate([np.asarray(w[i]) for w in want])
        np.testing.assert_allclose(np.asarray(out), expected, rtol=0,
                                   atol=1e-12 * np.max(np.abs(expected)))
    for a, b in zip(grouped.non_trainable_weights, one.non_trainable_weights, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=0, atol=1e-12, err_msg=a.path)


def test_batch_groups_need_spectral_norm_in_cam():
    cam = CAMAttention()  # the generator's, plain classifiers
    with pytest.raises(ValueError, match="batch_groups needs spectral_norm=True"):
        cam(images(4, 4, batch=2), training=True, batch_groups=2)


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


# ---- The ablation without CAM ------------------------------------------------------------


def expected_parameter_count(f, num_layers, use_cam=True):
    """The trainable parameters the architecture implies, from the layer shapes."""
    channels = [3] + [f * 2 ** i for i in range(num_layers - 1)]
    count = sum(16 * c_in * c_out + c_out  # 4x4 convs with bias
                for c_in, c_out in zip(channels, channels[1:]))
    c = channels[-1]
    if use_cam:
        count += 2 * c + 2 * c * c + c  # gap_fc, gmp_fc (no bias), the 1x1 conv and bias
    return count + 16 * c  # the head: 4x4 conv to 1 channel, no bias


@pytest.mark.parametrize("num_layers, official", [(7, 53_130_176), (5, 3_290_560)],
                         ids=["global", "local"])
def test_parameter_formula_gives_the_official_counts(num_layers, official):
    assert expected_parameter_count(64, num_layers) == official


@pytest.mark.parametrize("use_cam", [True, False], ids=["cam", "no_cam"])
@pytest.mark.parametrize("num_layers", [4, 5])
def test_ablation_parameter_counts(num_layers, use_cam):
    disc = UGATITDiscriminator(4, num_layers, use_cam=use_cam)
    disc.build((None, 32, 32, 3))
    assert count_trainable(disc) == expected_parameter_count(4, num_layers, use_cam)
    assert any("/cam/" in v.path for v in disc.weights) == use_cam
    # u, v of every spectrally normalised layer: the convs and, with CAM, 2 classifiers.
    assert len(disc.non_trainable_weights) == 2 * (num_layers + (2 if use_cam else 0))


def test_no_cam_shared_checks():
    # Keras symbolic outputs must be tensors: a discriminator without CAM returns None.
    run_layer_checks(lambda **kw: UGATITDiscriminator(4, 4, use_cam=False, **kw),
                     images(32, 32, batch=2), float32_outputs=True, bf16_tolerance=0.1,
                     symbolic=False)


def test_no_cam_outputs():
    disc = UGATITDiscriminator(2, 5, use_cam=False)
    logits, cam_logit, heatmap = disc(images(128, 96))
    assert logits.shape == (1, 14, 10, 1) and cam_logit is None and heatmap is None
    assert disc.compute_output_shape((1, 128, 96, 3)) == ((1, 14, 10, 1), None, None)


def test_bad_use_cam():
    with pytest.raises(ValueError, match="use_cam must be True or False, got 'no'"):
        UGATITDiscriminator(use_cam="no")
