"""KID and FID against an independent numpy/scipy transcription of the formulas."""

import numpy as np
import pytest
from scipy import linalg

from ugatit_tf.evaluation import metrics


def reference_mmd2(x, y):
    """Unbiased MMD^2, cubic kernel, written as explicit double sums over pairs."""
    m, d = x.shape
    k = lambda a, b: (np.dot(a, b) / d + 1.0) ** 3
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m))
    return xx / (m * (m - 1)) + yy / (m * (m - 1)) - 2.0 * xy / (m * m)


def reference_fid(x, y):
    """FID from the definition, with eigen-decomposition square roots (not sqrtm of a product).

    Tr((S1 S2)^1/2) = Tr((S1^1/2 S2 S1^1/2)^1/2), the latter a symmetric PSD root.
    """
    mu1, mu2 = x.mean(0), y.mean(0)
    s1 = (x - mu1).T @ (x - mu1) / (len(x) - 1)
    s2 = (y - mu2).T @ (y - mu2) / (len(y) - 1)

    def psd_sqrt(a):
        w, v = linalg.eigh(a)
        return (v * np.sqrt(np.clip(w, 0, None))) @ v.T

    r1 = psd_sqrt(s1)
    return np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2.0 * psd_sqrt(r1 @ s2 @ r1))


def test_mmd2_matches_reference():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(30, 16)), rng.normal(0.3, 1.2, size=(30, 16))
    np.testing.assert_allclose(metrics.polynomial_mmd2_unbiased(x, y), reference_mmd2(x, y),
                               rtol=0, atol=1e-6)


def test_kid_matches_reference_subsets():
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(40, 8)), rng.normal(0.5, 1.0, size=(35, 8))
    mean, std = metrics.kid(real, fake, num_subsets=7, max_subset_size=20, seed=3)
    # Same subset draws as the implementation documents: fake first, then real, per subset.
    sampler = np.random.default_rng(3)
    values = []
    for _ in range(7):
        f = fake[sampler.choice(35, 20, replace=False)]
        r = real[sampler.choice(40, 20, replace=False)]
        values.append(reference_mmd2(f, r))
    assert abs(mean - np.mean(values)) < 1e-6
    assert abs(std - np.std(values)) < 1e-6


def test_kid_subset_size_is_capped_by_the_smaller_set():
    rng = np.random.default_rng(2)
    real, fake = rng.normal(size=(12, 4)), rng.normal(size=(9, 4))
    mean, std = metrics.kid(real, fake, num_subsets=1, max_subset_size=1000, seed=0)
    sampler = np.random.default_rng(0)
    f = fake[sampler.choice(9, 9, replace=False)]
    r = real[sampler.choice(12, 9, replace=False)]
    assert abs(mean - reference_mmd2(f, r)) < 1e-6
    assert std == 0.0


def test_kid_near_zero_for_same_set_and_grows_with_shift():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(200, 64))
    same, _ = metrics.kid(x, x, num_subsets=20, max_subset_size=100)
    kids = [metrics.kid(x, x + s, num_subsets=20, max_subset_size=100)[0]
            for s in (0.5, 1.0, 2.0)]
    assert abs(same) < 0.1 * kids[0]  # overlapping subsets make it slightly negative
    assert 0 < kids[0] < kids[1] < kids[2]
    # Two independent samples of one distribution: within a few std of 0.
    y = rng.normal(size=(200, 64))
    mean, std = metrics.kid(x, y, num_subsets=20, max_subset_size=100)
    assert abs(mean) < 3 * std + 1e-3


def test_fid_matches_reference():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(300, 20))
    y = rng.normal(size=(250, 20)) @ rng.normal(size=(20, 20)) * 0.3 + 0.2
    np.testing.assert_allclose(metrics.fid(x, y), reference_fid(x, y), rtol=0, atol=1e-4)


def test_fid_of_a_set_with_itself_is_zero_and_grows_with_shift():
    x = np.random.default_rng(6).normal(size=(100, 10))
    assert abs(metrics.fid(x, x)) < 1e-6
    # A mean shift s in every dimension adds d * s^2.
    np.testing.assert_allclose(metrics.fid(x, x + 0.5), 10 * 0.25, atol=1e-6)


def test_fid_with_singular_covariances_is_finite():
    # Fewer samples than dimensions, as with a small test set and 2048-d features.
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(20, 64)), rng.normal(1.0, 1.0, size=(25, 64))
    value = metrics.fid(x, y)
    assert np.isfinite(value)
    np.testing.assert_allclose(value, reference_fid(x, y), rtol=1e-3)


@pytest.mark.parametrize("shapes", [((5, 4), (5, 3)), ((1, 4), (5, 4)), ((5,), (5,))])
def test_bad_feature_shapes_are_rejected(shapes):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="Features must|at least 2"):
        metrics.kid(rng.normal(size=shapes[0]), rng.normal(size=shapes[1]))


def test_kid_of_a_set_with_itself_is_the_diagonal_formula():
    """KID(x, x) with the whole set as the subset: (2/m)(mean off-diagonal k - mean k_ii),
    which is <= 0 since k_ij <= (k_ii + k_jj) / 2 for a positive semi-definite kernel."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 16))
    k = (x @ x.T / 16 + 1.0) ** 3
    m = len(x)
    expected = 2.0 / m * ((k.sum() - np.trace(k)) / (m * (m - 1)) - np.trace(k) / m)
    mean, _ = metrics.kid(x, x, num_subsets=3)
    np.testing.assert_allclose(mean, expected, rtol=1e-9)
    assert mean < 0.0
