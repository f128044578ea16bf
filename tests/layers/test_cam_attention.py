"""CAMAttention: shared checks and the official (unfused) formula in numpy."""

import numpy as np
import pytest
from testing import run_layer_checks

from ugatit_tf.layers import CAMAttention

FEATURES = np.random.default_rng(0).standard_normal((2, 5, 6, 4)).astype(np.float32)


@pytest.mark.parametrize("spectral_norm, negative_slope", [(False, 0.0), (True, 0.2)])
def test_shared_checks(spectral_norm, negative_slope):
    run_layer_checks(
        lambda **kw: CAMAttention(spectral_norm=spectral_norm, negative_slope=negative_slope,
                                  **kw), FEATURES)


def official_cam(x, w_gap_logit, w_gmp_logit, w_gap_raw, w_gmp_raw, kernel, bias, slope):
    """PT: x_gap = x * w_gap, x_gmp = x * w_gmp, conv1x1(cat(x_gap, x_gmp)), activation."""
    x = x.astype(np.float64)
    gap_logit = x.mean(axis=(1, 2)) @ w_gap_logit
    gmp_logit = x.max(axis=(1, 2)) @ w_gmp_logit
    cat = np.concatenate([x * w_gap_raw[:, 0], x * w_gmp_raw[:, 0]], axis=-1)
    y = cat @ kernel + bias
    y = np.where(y > 0, y, slope * y)
    return y, np.concatenate([gap_logit, gmp_logit], -1), y.sum(-1, keepdims=True)


@pytest.mark.parametrize("spectral_norm", [False, True])
def test_matches_the_official_formula(spectral_norm):
    slope = 0.2 if spectral_norm else 0.0
    layer = CAMAttention(spectral_norm=spectral_norm, negative_slope=slope)
    if spectral_norm:
        layer(FEATURES, training=True)  # u, v away from their initial values
    out = layer(FEATURES, training=False)
    raw = [layer.gap_fc.kernel.numpy(), layer.gmp_fc.kernel.numpy()]
    if spectral_norm:  # logits from W / sigma, re-weighting from the raw W (PT's weight_orig)
        logit_kernels = [np.asarray(fc.normalized_kernel()) for fc in (layer.gap_fc,
                                                                       layer.gmp_fc)]
        assert not np.allclose(logit_kernels[0], raw[0])
    else:
        logit_kernels = raw
    want = official_cam(FEATURES, *logit_kernels, *raw, layer.conv1x1_kernel.numpy(),
                        layer.conv1x1_bias.numpy(), slope)
    for name, a, e in zip(("features", "cam_logit", "heatmap"), out, want):
        np.testing.assert_allclose(np.asarray(a), e, rtol=1e-5, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("slope", [-0.1, 1.0])
def test_bad_negative_slope(slope):
    with pytest.raises(ValueError, match=rf"negative_slope must be in \[0, 1\), got {slope}"):
        CAMAttention(negative_slope=slope)
