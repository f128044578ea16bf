"""InstanceNorm, AdaLIN and LIN: shared checks, the official formulas in numpy, rho clipping."""

import keras
import numpy as np
import pytest
from testing import run_layer_checks

from ugatit_tf.layers import LIN, AdaLIN, ClipValue, InstanceNorm

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
