"""InstanceNorm, AdaLIN and LIN: shared checks, the official formulas in numpy, rho clipping,
the one-pass LIN/AdaLIN against the composition it replaces (values, gradients, reductions).
AdaIN, GroupNorm and the decoder-normalisation factory of the ablations: shared checks,
numpy formulas, their relation to AdaLIN, group counts, bad arguments."""

import os
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from testing import run_layer_checks

from ugatit_tf.layers import LIN, AdaIN, AdaLIN, ClipValue, GroupNorm, InstanceNorm, normalization
from ugatit_tf.layers.normalization import DECODER_NORMS, decoder_normalization, group_count

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
                                "bench"))
import reduction_census  # noqa: E402

EPS = 1e-5


def features(shape=(2, 6, 5, 4), offset=8.0, seed=0):
    # A large common offset: statistics taken in bfloat16 would lose the small variations.
    rng = np.random.default_rng(seed)
    return (offset + 0.1 * rng.standard_normal(shape)).astype(np.float32)


def numpy_normalize(x, axes, ddof):
    x = x.astype(np.float64)
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True, ddof=ddof)
    return (x - mean) / np.sqrt(var + EPS)


def numpy_layer_instance_mix(x, rho):
    """PT's adaILN / ILN before the affine part, with torch.var's unbiased variance."""
    instance = numpy_normalize(x, (1, 2), ddof=1)
    layer = numpy_normalize(x, (1, 2, 3), ddof=1)
    return rho * instance + (1 - rho) * layer


def set_rho(layer, rng):
    rho = rng.uniform(0.0, 1.0, layer.rho.shape).astype(np.float32)
    layer.rho.assign(rho)
    return rho


def test_instance_norm_shared_checks():
    run_layer_checks(lambda **kw: InstanceNorm(**kw), features(), float32_statistics=True)


def test_adalin_shared_checks():
    rng = np.random.default_rng(1)
    gamma = rng.normal(1.0, 0.5, (2, 4)).astype(np.float32)
    beta = rng.normal(0.0, 0.5, (2, 4)).astype(np.float32)
    run_layer_checks(lambda **kw: AdaLIN(rho_init=0.3, **kw), (features(), gamma, beta),
                     float32_statistics=True)


def test_lin_shared_checks():
    run_layer_checks(lambda **kw: LIN(rho_init=0.6, **kw), features(), float32_statistics=True)


def test_instance_norm_matches_numpy_with_biased_variance():
    x = features(offset=0.0)
    out = np.asarray(InstanceNorm()(x))
    np.testing.assert_allclose(out, numpy_normalize(x, (1, 2), ddof=0), rtol=1e-4, atol=1e-4)


def test_adalin_matches_numpy_formula_with_unbiased_variance():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4, 5, 6)).astype(np.float32)
    gamma = rng.normal(1.0, 0.5, (3, 6)).astype(np.float32)
    beta = rng.normal(0.0, 0.5, (3, 6)).astype(np.float32)
    layer = AdaLIN()
    layer.build(x.shape)
    rho = set_rho(layer, rng)
    want = numpy_layer_instance_mix(x, rho) * gamma[:, None, None] + beta[:, None, None]
    np.testing.assert_allclose(np.asarray(layer(x, gamma, beta)), want, rtol=1e-4, atol=1e-4)
    # The biased variance differs by a factor sqrt(n / (n - 1)) here: a visible difference.
    biased = (rho * numpy_normalize(x, (1, 2), 0) + (1 - rho) * numpy_normalize(x, (1, 2, 3), 0))
    assert np.max(np.abs(biased * gamma[:, None, None] + beta[:, None, None] - want)) > 1e-2


def test_lin_matches_numpy_formula():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    layer = LIN()
    layer.build(x.shape)
    rho = set_rho(layer, rng)
    gamma = rng.normal(1.0, 0.5, 5).astype(np.float32)
    beta = rng.normal(0.0, 0.5, 5).astype(np.float32)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    want = numpy_layer_instance_mix(x, rho) * gamma + beta
    np.testing.assert_allclose(np.asarray(layer(x)), want, rtol=1e-4, atol=1e-4)


def test_official_rho_inits():
    assert AdaLIN().rho_init == 0.9 and LIN().rho_init == 0.0
    layer = AdaLIN()
    layer.build((1, 4, 4, 3))
    np.testing.assert_array_equal(layer.rho.numpy(), np.full(3, 0.9, np.float32))


@pytest.mark.parametrize("make", [lambda: AdaLIN(rho_init=0.5), lambda: LIN(rho_init=0.5)])
def test_rho_is_clipped_to_unit_interval_by_the_optimizer(make):
    layer = make()
    x = features((2, 4, 4, 4), offset=0.0)
    args = (x, np.ones((2, 4), np.float32), np.zeros((2, 4), np.float32)) \
        if isinstance(layer, AdaLIN) else (x,)
    layer(*args)
    assert isinstance(layer.rho.constraint, ClipValue)
    # A loss pushing rho up in two channels and down in the two others, with a step so
    # large that the unconstrained update would leave [0, 1].
    direction = np.array([1.0, 1.0, -1.0, -1.0], np.float32)
    optimizer = keras.optimizers.SGD(learning_rate=10.0)
    optimizer.build([layer.rho])
    grad = -direction  # d(loss)/d(rho) for loss = -sum(direction * rho)
    optimizer.apply([keras.ops.convert_to_tensor(grad)], [layer.rho])
    np.testing.assert_array_equal(layer.rho.numpy(), [1.0, 1.0, 0.0, 0.0])


def test_clip_value_round_trips():
    clip = ClipValue(0.25, 0.75)
    clone = ClipValue.from_config(clip.get_config())
    np.testing.assert_array_equal(np.asarray(clone(np.array([0.0, 0.5, 1.0]))), [0.25, 0.5, 0.75])


@pytest.mark.parametrize("cls", [InstanceNorm, AdaLIN, LIN])
@pytest.mark.parametrize("epsilon", [0.0, -1e-5])
def test_bad_epsilon_is_rejected(cls, epsilon):
    with pytest.raises(ValueError, match=rf"epsilon must be positive, got {epsilon}"):
        cls(epsilon=epsilon)


@pytest.mark.parametrize("cls", [AdaLIN, LIN])
@pytest.mark.parametrize("rho_init", [-0.1, 1.5])
def test_bad_rho_init_is_rejected(cls, rho_init):
    with pytest.raises(ValueError, match=rf"rho_init must be in \[0, 1\], got {rho_init}"):
        cls(rho_init=rho_init)


def test_bad_clip_range_is_rejected():
    with pytest.raises(ValueError, match="min_value 1 is above max_value 0"):
        ClipValue(1, 0)


# ---- The ablations' normalisations -------------------------------------------------------


def numpy_group_normalize(x, groups, ddof):
    n, h, w, c = x.shape
    grouped = x.astype(np.float64).reshape(n, h, w, groups, c // groups)
    return numpy_normalize(grouped, (1, 2, 4), ddof).reshape(x.shape)


def adaptive_params(n, c, seed):
    rng = np.random.default_rng(seed)
    return (rng.normal(1.0, 0.5, (n, c)).astype(np.float32),
            rng.normal(0.0, 0.5, (n, c)).astype(np.float32))


def test_adain_shared_checks():
    gamma, beta = adaptive_params(2, 4, seed=4)
    run_layer_checks(lambda **kw: AdaIN(unbiased=True, **kw), (features(), gamma, beta),
                     float32_statistics=True)


@pytest.mark.parametrize("affine", [False, True], ids=["plain", "affine"])
def test_group_norm_shared_checks(affine):
    run_layer_checks(lambda **kw: GroupNorm(2, unbiased=True, affine=affine, **kw),
                     features(), float32_statistics=True)


@pytest.mark.parametrize("unbiased", [False, True])
@pytest.mark.parametrize("groups", [1, 3, 6])
def test_group_norm_matches_numpy_formula(groups, unbiased):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 4, 5, 6)).astype(np.float32)
    layer = GroupNorm(groups, unbiased=unbiased, affine=True)
    layer.build(x.shape)
    gamma = rng.normal(1.0, 0.5, 6).astype(np.float32)
    beta = rng.normal(0.0, 0.5, 6).astype(np.float32)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    want = numpy_group_normalize(x, groups, ddof=int(unbiased)) * gamma + beta
    # float32 outputs of values of magnitude ~3: 1e-4 is ~100 float32 ulps of headroom.
    np.testing.assert_allclose(np.asarray(layer(x)), want, rtol=1e-4, atol=1e-4)


def test_adain_matches_numpy_formula():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 4, 5, 6)).astype(np.float32)
    gamma, beta = adaptive_params(3, 6, seed=7)
    for unbiased in (False, True):
        want = (numpy_normalize(x, (1, 2), ddof=int(unbiased)) * gamma[:, None, None]
                + beta[:, None, None])
        np.testing.assert_allclose(np.asarray(AdaIN(unbiased=unbiased)(x, gamma, beta)), want,
                                   rtol=1e-4, atol=1e-4)


def adalin_with_rho(rho, x, gamma, beta):
    layer = AdaLIN()
    layer.build(x.shape)
    layer.rho.assign(np.full(x.shape[-1], rho, np.float32))
    return np.asarray(layer(x, gamma, beta), np.float64)


def test_decoder_ablations_are_adalin_with_rho_at_an_end():
    """What `decoder_normalization` promises: IN and LN are AdaLIN with rho 1 and 0 (gamma 1,
    beta 0), AdaIN is AdaLIN with rho 1: the same (unbiased) statistics."""
    x = features((2, 5, 6, 8), offset=0.0, seed=8)
    gamma, beta = adaptive_params(2, 8, seed=9)
    ones, zeros = np.ones((2, 8), np.float32), np.zeros((2, 8), np.float32)
    make = lambda kind: decoder_normalization(kind, 8, "residual")
    got = {kind: np.asarray(make(kind)(x)) for kind in ("instance", "layer")}
    got["adain"] = np.asarray(make("adain")(x, gamma, beta))
    want = {"instance": adalin_with_rho(1.0, x, ones, zeros),
            "layer": adalin_with_rho(0.0, x, ones, zeros),
            "adain": adalin_with_rho(1.0, x, gamma, beta)}
    for kind in want:
        # Two float32 computations of the same formula: a few ulps of values ~3.
        np.testing.assert_allclose(got[kind], want[kind], rtol=1e-5, atol=1e-5, err_msg=kind)
    # The n / (n - 1) of the variance is visible: a biased IN is not what is promised.
    biased = np.asarray(InstanceNorm()(x))
    assert np.max(np.abs(biased - want["instance"])) > 1e-2


@pytest.mark.parametrize("channels, groups", [(256, 32), (64, 32), (32, 32), (16, 16),
                                              (48, 24), (40, 20), (7, 7), (1, 1)])
def test_group_count_is_wu_and_he_32_or_the_largest_divisor_below(channels, groups):
    assert group_count(channels) == groups


@pytest.mark.parametrize("kind, residual, upsampling", [
    ("adalin", (AdaLIN, None), (LIN, None)),
    ("adain", (AdaIN, None), (GroupNorm, 64)),
    ("instance", (GroupNorm, 256), (GroupNorm, 64)),
    ("layer", (GroupNorm, 1), (GroupNorm, 1)),
    ("group", (GroupNorm, 32), (GroupNorm, 32)),
])
def test_decoder_normalization_factory(kind, residual, upsampling):
    for part, channels, (cls, groups) in (("residual", 256, residual),
                                          ("upsampling", 64, upsampling)):
        layer = decoder_normalization(kind, channels, part, name="norm")
        assert type(layer) is cls and layer.name == "norm", (kind, part)
        if cls is GroupNorm:
            assert layer.groups == groups and layer.unbiased, (kind, part)
            # Learned per-channel gamma and beta where the official model has LIN.
            assert layer.affine == (part == "upsampling"), (kind, part)
        if cls is AdaIN:
            assert layer.unbiased


def test_decoder_normalization_passes_the_dtype_policy():
    for kind in DECODER_NORMS:
        layer = decoder_normalization(kind, 8, "residual", dtype="mixed_bfloat16")
        assert layer.compute_dtype == "bfloat16", kind


@pytest.mark.parametrize("kwargs, message", [
    (dict(kind="batch", channels=8, part="residual"), "Unknown decoder_norm 'batch'"),
    (dict(kind="adalin", channels=8, part="encoder"), "part must be 'residual' or"),
])
def test_decoder_normalization_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        decoder_normalization(**kwargs)


@pytest.mark.parametrize("groups", [0, -2, 2.0, True])
def test_group_norm_bad_groups(groups):
    with pytest.raises(ValueError, match=f"groups must be a positive int, got {groups!r}"):
        GroupNorm(groups)


def test_group_norm_rejects_channels_not_divisible_by_the_groups():
    with pytest.raises(ValueError, match=r"GroupNorm\(groups=4\) needs channels divisible "
                                         r"by the groups, got 6 channels"):
        GroupNorm(4).build((None, 8, 8, 6))


@pytest.mark.parametrize("make", [lambda v: AdaIN(unbiased=v), lambda v: GroupNorm(2, unbiased=v),
                                  lambda v: GroupNorm(2, affine=v)])
def test_flags_must_be_bools(make):
    with pytest.raises(ValueError, match="must be True or False, got 1"):
        make(1)


@pytest.mark.parametrize("cls", [lambda **kw: AdaIN(**kw), lambda **kw: GroupNorm(2, **kw)])
def test_ablation_norms_reject_bad_epsilon(cls):
    with pytest.raises(ValueError, match="epsilon must be positive, got 0.0"):
        cls(epsilon=0.0)


# ---- LIN and AdaLIN: the one-pass `layer_instance_norm` against the composition ---------


def lin_case(cls, policy, seed=10):
    """A built AdaLIN or LIN under `policy`, with random rho (and gamma, beta), and its
    call arguments: channels of different means and scales, so that the instance and
    layer statistics differ."""
    rng = np.random.default_rng(seed)
    n, c = 2, 5
    dtype = "float64" if policy == "float64" else "float32"
    x = (rng.standard_normal((n, 6, 5, c)) * rng.uniform(0.5, 3.0, c)
         + rng.normal(0.0, 2.0, c)).astype(dtype)
    layer = cls(dtype=policy)
    layer.build(x.shape)
    layer.rho.assign(rng.uniform(0.0, 1.0, c).astype(dtype))
    inputs = [tf.cast(x, layer.compute_dtype)]
    if cls is AdaLIN:
        inputs += [tf.constant(rng.normal(1.0, 0.5, (n, c)), layer.compute_dtype),
                   tf.constant(rng.normal(0.0, 0.5, (n, c)), layer.compute_dtype)]
    else:
        layer.gamma.assign(rng.normal(1.0, 0.5, c).astype(dtype))
        layer.beta.assign(rng.normal(0.0, 0.5, c).astype(dtype))
    weights = tf.constant(rng.standard_normal(x.shape))  # a loss sum(out * weights)
    return layer, inputs, weights


def outputs_and_gradients(layer, inputs, weights, fused):
    """The output and the gradients w.r.t. the inputs, rho (and LIN's gamma and beta),
    in float64."""
    sources = list(inputs) + [layer.rho] + ([layer.gamma, layer.beta]
                                            if isinstance(layer, LIN) else [])
    with normalization.fused_layer_instance_norm(fused), tf.GradientTape() as tape:
        tape.watch(inputs)
        out = layer(*inputs)
        loss = tf.reduce_sum(tf.cast(out, "float64") * weights)
    return [np.asarray(tf.cast(t, "float64")) for t in [out] + tape.gradient(loss, sources)]


def assert_close_to_scale(got, want, tolerance, what):
    for i, (a, b) in enumerate(zip(got, want)):
        error = np.max(np.abs(a - b)) / np.max(np.abs(b))
        assert error <= tolerance, f"{what}, array {i}: {error:.2e} of its scale"


def autodiff_lin(x, rho, gamma, beta):
    """The official formula in plain TF ops, differentiated by TF itself (float64)."""
    def normalized(axes):
        count = np.prod([x.shape[a] for a in axes])
        mean = tf.reduce_mean(x, axes, keepdims=True)
        var = tf.reduce_sum(tf.square(x - mean), axes, keepdims=True) / (count - 1)
        return (x - mean) / tf.sqrt(var + EPS)

    as_map = lambda t: tf.reshape(t, (-1, 1, 1, x.shape[-1]))  # noqa: E731
    mixed = as_map(rho) * normalized((1, 2)) + (1 - as_map(rho)) * normalized((1, 2, 3))
    return mixed * as_map(gamma) + as_map(beta)


@pytest.mark.parametrize("cls", [AdaLIN, LIN])
def test_fused_lin_matches_the_composition_and_autodiff_in_float64(cls):
    layer, inputs, weights = lin_case(cls, "float64")
    fused = outputs_and_gradients(layer, inputs, weights, fused=True)
    composed = outputs_and_gradients(layer, inputs, weights, fused=False)
    x = inputs[0]
    gamma, beta = inputs[1:] if cls is AdaLIN else (layer.gamma, layer.beta)
    sources = [x, layer.rho, gamma, beta]
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        loss = tf.reduce_sum(autodiff_lin(x, layer.rho, gamma, beta) * weights)
    grads = dict(zip(map(id, sources), tape.gradient(loss, sources)))
    order = [x] + ([gamma, beta, layer.rho] if cls is AdaLIN else [layer.rho, gamma, beta])
    autodiff = [np.asarray(autodiff_lin(x, layer.rho, gamma, beta))] + [
        np.asarray(grads[id(t)]) for t in order]
    # The same function by other float64 arithmetic: sums of 30-150 terms and a few
    # dozen operations after them, errors of some 1e-15 of each array's largest value
    # (measured ~3e-16). 1e-12 is far below what a slip in the algebra gives (n against
    # n - 1 alone is a 1/30 change).
    assert_close_to_scale(fused, composed, 1e-12, "fused vs composed")
    assert_close_to_scale(fused, autodiff, 1e-12, "fused vs autodiff")


@pytest.mark.parametrize("policy, tolerance", [
    # Float32 models compute both in float64 and round the results to float32 (the
    # composition rounds twice more, its two normalised maps): a few float32 ulps
    # (2^-23 = 1.2e-7) of each array's largest value; measured ~1e-7.
    ("float32", 1e-6),
    # bfloat16 inputs and outputs, float32 arithmetic in both: the final rounding to
    # bfloat16 may differ by one ulp (2^-8 to 2^-7 of a value) where the float32 results
    # differ in their last bits; the input gradient, rounded to bfloat16 too, likewise
    # (measured 5e-3). Two ulps allowed; the float64 test above checks the algebra.
    ("mixed_bfloat16", 2.0**-6),
], ids=["float32", "mixed_bfloat16"])
@pytest.mark.parametrize("cls", [AdaLIN, LIN])
def test_fused_lin_matches_the_composition_at_lower_precision(cls, policy, tolerance):
    layer, inputs, weights = lin_case(cls, policy)
    fused = outputs_and_gradients(layer, inputs, weights, fused=True)
    composed = outputs_and_gradients(layer, inputs, weights, fused=False)
    assert_close_to_scale(fused, composed, tolerance, policy)


def adalin_reductions(fused):
    """The reduction ops of one traced AdaLIN forward and backward (all gradients):
    `(all of them, those over the feature map)`."""
    layer, inputs, weights = lin_case(AdaLIN, "float32")

    @tf.function
    def step(x, gamma, beta):
        with tf.GradientTape() as tape:
            tape.watch([x, gamma, beta])
            loss = tf.reduce_sum(layer(x, gamma, beta) * tf.cast(weights, "float32"))
        return tape.gradient(loss, [x, gamma, beta, layer.rho])

    with normalization.fused_layer_instance_norm(fused):
        graph = step.get_concrete_function(*inputs).graph
    ops = reduction_census.reduction_ops(graph)
    loss_sum = 1  # the test's own reduce_sum of the loss
    return (len(ops) - loss_sum,
            sum(map(reduction_census.over_feature_maps, ops)) - loss_sum)


def test_fused_lin_takes_fewer_reductions():
    """The point of `layer_instance_norm`: 2 full-size reductions forward (mean, centred
    square sum) and 2 backward (S0, S1), where the composition has 4 and 7; the few
    per-channel reductions it adds read [N, 1, 1, C] statistics."""
    fused, composed = adalin_reductions(True), adalin_reductions(False)
    assert fused[1] == 4 and composed[1] == 11, (fused, composed)
    assert fused[0] < composed[0], (fused, composed)


def test_layer_instance_norm_rejects_other_affine_axes():
    x = features((1, 3, 3, 2))
    ones = np.ones((1, 1, 1, 2), np.float32)
    with pytest.raises(ValueError,
                       match=r"affine_axes must be \(1, 2\) or \(0, 1, 2\), got \(2,\)"):
        normalization.layer_instance_norm(x, ones, ones, ones, EPS, "float32", (2,))
