"""UGATITGenerator: shared checks, official parameter counts, input sizes, bad arguments;
the ablations' options (decoder_norm, use_cam): checks, parameter counts from the shapes."""

import keras
import numpy as np
import pytest
from testing import run_layer_checks

from ugatit_tf.layers.normalization import ADAPTIVE_NORMS, DECODER_NORMS
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


# ---- The ablations ---------------------------------------------------------------------


def expected_parameter_count(f, n_res, image_size, light, decoder_norm="adalin", use_cam=True):
    """The trainable parameters the architecture implies (see UGATITGenerator and
    normalization.decoder_normalization), from the layer shapes."""
    b = 4 * f  # bottleneck channels
    conv = lambda k, c_in, c_out: k * k * c_in * c_out  # bias-free convs
    count = conv(7, 3, f) + conv(3, f, 2 * f) + conv(3, 2 * f, b)  # stem, 2 down-samplings
    count += n_res * 2 * conv(3, b, b)  # encoder residual blocks
    if use_cam:
        count += 2 * b + 2 * b * b + b  # gap_fc, gmp_fc, the 1x1 conv's kernel and bias
    if decoder_norm in ADAPTIVE_NORMS:
        mlp_in = b if light else (image_size // 4) ** 2 * b
        count += mlp_in * b + 3 * b * b  # FC 1, FC 2, gamma, beta
    count += n_res * 2 * conv(3, b, b)  # decoder residual blocks
    if decoder_norm == "adalin":
        count += n_res * 2 * b  # each AdaLIN's rho; AdaIN, IN, LN, GN have none
    for c_in, c_out in ((b, 2 * f), (2 * f, f)):  # up-sampling convs and their norms:
        count += conv(3, c_in, c_out) + (3 if decoder_norm == "adalin" else 2) * c_out
    return count + conv(7, f, 3)  # LIN: rho, gamma, beta; the others: gamma, beta


@pytest.mark.parametrize("light, official", [(False, 278_959_808), (True, 10_589_888)],
                         ids=["full", "light"])
def test_parameter_formula_gives_the_official_counts(light, official):
    assert expected_parameter_count(64, 4, 256, light) == official


# Every option in light mode; full mode differs only in the MLP's input width, so one
# adaptive and one plain norm there.
@pytest.mark.parametrize("light, decoder_norm, use_cam", [
    *[(True, norm, cam) for norm in DECODER_NORMS for cam in (True, False)],
    (False, "adain", False), (False, "instance", True)])
def test_ablation_parameter_counts(light, decoder_norm, use_cam):
    gen = UGATITGenerator(4, 2, image_size=16, light=light, decoder_norm=decoder_norm,
                          use_cam=use_cam)
    gen.build((None, 16, 16, 3))
    assert count_trainable(gen) == expected_parameter_count(4, 2, 16, light, decoder_norm,
                                                            use_cam)
    paths = [v.path for v in gen.weights]
    assert any("/cam/" in p for p in paths) == use_cam
    has_mlp = decoder_norm in ADAPTIVE_NORMS
    for name in ("mlp_dense1", "mlp_dense2", "gamma/", "beta/"):
        assert any(p.split("/", 1)[1].startswith(name) for p in paths) == has_mlp, name


@pytest.mark.parametrize("kwargs", [dict(decoder_norm="group", use_cam=False),
                                    dict(decoder_norm="adain")], ids=["group_no_cam", "adain"])
def test_ablation_shared_checks(kwargs):
    # Keras symbolic outputs must be tensors: a generator without CAM returns None.
    run_layer_checks(
        lambda **kw: UGATITGenerator(8, 1, image_size=32, light=True, **kwargs, **kw),
        images(32, 32, batch=2), float32_outputs=True, bf16_tolerance=0.1,
        symbolic=kwargs.get("use_cam", True))


@pytest.mark.parametrize("decoder_norm", [n for n in DECODER_NORMS if n != "adalin"])
def test_ablations_compute_in_float64_under_the_float64_policy(decoder_norm):
    x = images(16, 16, batch=2)
    nets = {dtype: UGATITGenerator(4, 1, image_size=16, light=True, decoder_norm=decoder_norm,
                                   dtype=dtype) for dtype in ("float32", "float64")}
    nets["float32"].build((None, 16, 16, 3))
    nets["float64"].build((None, 16, 16, 3))
    nets["float64"].set_weights(nets["float32"].get_weights())
    want = nets["float64"](x.astype(np.float64))
    got = nets["float32"](x)
    for w, g in zip(want, got):
        assert w.dtype == "float64" and g.dtype == "float32"
        # float32 against float64: measured up to 2.3e-6 of the scale (the AdaLIN model's
        # own: 1.1e-6); 1e-5 is 4x that, far below a wrong formula's ~1e-1.
        scale = float(np.max(np.abs(np.asarray(w))))
        assert float(np.max(np.abs(np.asarray(g) - np.asarray(w)))) <= 1e-5 * scale


def test_without_cam_the_encoder_features_go_straight_to_the_decoder():
    x = images(16, 16, batch=2)
    for use_cam in (False, True):
        gen = UGATITGenerator(4, 1, image_size=16, light=True, use_cam=use_cam)
        image, cam_logit, heatmap, (mlp_input, _) = gen(x, return_mlp_io=True)
        features = x
        for layer in gen.encoder:
            features = layer(features)
        pooled = np.mean(np.asarray(features), axis=(1, 2))  # light: the MLP's input
        # Without CAM the pooled encoder features are the MLP's input (up to the float32
        # rounding of two reductions); with CAM they are not (the sanity check).
        close = np.allclose(np.asarray(mlp_input), pooled, rtol=1e-5, atol=1e-6)
        assert close == (not use_cam)
        assert (cam_logit is None and heatmap is None) == (not use_cam)
    no_cam = UGATITGenerator(4, 1, image_size=16, light=True, use_cam=False)
    assert no_cam.compute_output_shape((2, 16, 16, 3)) == ((2, 16, 16, 3), None, None)


@pytest.mark.parametrize("decoder_norm", [n for n in DECODER_NORMS if n not in ADAPTIVE_NORMS])
def test_without_an_adaptive_norm_there_is_no_mlp_io(decoder_norm):
    gen = UGATITGenerator(4, 1, image_size=16, decoder_norm=decoder_norm)
    outputs = gen(images(16, 16), return_mlp_io=True)
    assert len(outputs) == 4 and outputs[3] is None and gen.mlp == []


@pytest.mark.parametrize("kwargs, message", [
    (dict(decoder_norm="batch"), "Unknown decoder_norm 'batch': use one of adalin, instance"),
    (dict(decoder_norm=None), "Unknown decoder_norm None"),
    (dict(use_cam=1), "use_cam must be True or False, got 1"),
])
def test_bad_ablation_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        UGATITGenerator(**kwargs)
