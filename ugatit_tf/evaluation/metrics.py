"""KID and FID between two sets of image features.

Conventions (those of Binkowski et al.'s reference code as used by StyleGAN2-ADA,
clean-fid and torchmetrics):

* **KID** is the unbiased estimate of MMD^2 with the cubic polynomial kernel
  `k(x, y) = (x.y / d + 1)^3`, `d` the feature dimension, computed on
  `num_subsets = 100` random subsets of `m = min(1000, n_real, n_fake)` features drawn
  without replacement from each set. The mean and the standard deviation (ddof 0) over
  the subsets are returned; papers (U-GAT-IT Tables 1-3) report both x100.
* **FID** is the Frechet distance between Gaussians fitted to the two sets
  (unbiased covariances), with the matrix square root from `scipy.linalg.sqrtm`; as in
  the TTUR / pytorch-fid code, a non-finite root is recomputed with `1e-6` added to the
  covariance diagonals and a numerically complex root keeps its real part.

References: Binkowski et al., "Demystifying MMD GANs", ICLR 2018; Heusel et al.,
"GANs trained by a two time-scale update rule", NeurIPS 2017.
"""

import numpy as np
from scipy import linalg

KID_NUM_SUBSETS = 100
KID_MAX_SUBSET_SIZE = 1000
FID_EPSILON = 1e-6


def _check_features(x, y):
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(
            f"Features must be two [N, D] arrays with the same D, got {x.shape} and {y.shape}.")
    if min(len(x), len(y)) < 2:
        raise ValueError(
            f"KID and FID need at least 2 images per set, got {len(x)} and {len(y)}.")
    return x, y


def polynomial_mmd2_unbiased(x, y):
    """Unbiased MMD^2 between `x` [m, d] and `y` [m, d], cubic polynomial kernel.

    `(sum_{i!=j} k(x_i,x_j) + sum_{i!=j} k(y_i,y_j)) / (m(m-1)) - 2 sum_{i,j} k(x_i,y_j) / m^2`.
    """
    m, d = x.shape
    k_xx = (x @ x.T / d + 1.0) ** 3
    k_yy = (y @ y.T / d + 1.0) ** 3
    k_xy = (x @ y.T / d + 1.0) ** 3
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return within - 2.0 * k_xy.sum() / m**2


def kid(real, fake, num_subsets=KID_NUM_SUBSETS, max_subset_size=KID_MAX_SUBSET_SIZE, seed=0):
    """Kernel Inception Distance between feature sets `real` [n, d] and `fake` [n', d].

    Args:
        real, fake: feature arrays (any extractor: Inception pool, classifier features).
        num_subsets: number of random subset pairs.
        max_subset_size: subset size cap; the size used is `min(this, n, n')`.
        seed: seed of the subset sampling, so repeated evaluations agree.

    Returns:
        `(mean, std)` of the per-subset unbiased MMD^2 estimates (not scaled by 100).
        Can be slightly negative when the two sets are alike.
    """
    real, fake = _check_features(real, fake)
    m = min(len(real), len(fake), max_subset_size)
    rng = np.random.default_rng(seed)
    values = np.empty(num_subsets)
    for i in range(num_subsets):
        x = fake[rng.choice(len(fake), m, replace=False)]
        y = real[rng.choice(len(real), m, replace=False)]
        values[i] = polynomial_mmd2_unbiased(x, y)
    return float(values.mean()), float(values.std())


def fid(real, fake):
    """Frechet distance `|mu1-mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))` between feature sets."""
    real, fake = _check_features(real, fake)
    mu1, mu2 = real.mean(0), fake.mean(0)
    s1, s2 = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    root = linalg.sqrtm(s1 @ s2)
    if not np.isfinite(root).all():
        offset = np.eye(len(s1)) * FID_EPSILON
        root = linalg.sqrtm((s1 + offset) @ (s2 + offset))
    if np.iscomplexobj(root):
        root = root.real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(root))
