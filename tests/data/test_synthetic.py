"""The built-in data is deterministic and its two domains differ in shape and texture."""

import numpy as np
from conftest import data_config

from ugatit_tf.data import build_eval_dataset, build_train_dataset, render_synthetic


def _box3(a):
    p = np.pad(a, 1, mode="edge")
    return sum(p[i:i + a.shape[0], j:j + a.shape[1]] for i in range(3) for j in range(3)) / 9


def _texture_features(image):
    """Corner (structure-tensor min eigenvalue) and edge statistics of one image."""
    g = image.astype(np.float64).mean(-1) / 255
    gx, gy = np.zeros_like(g), np.zeros_like(g)
    gx[:, 1:-1], gy[1:-1] = g[:, 2:] - g[:, :-2], g[2:] - g[:-2]
    sxx, syy, sxy = _box3(gx * gx), _box3(gy * gy), _box3(gx * gy)
    half_trace, spread = (sxx + syy) / 2, np.sqrt(((sxx - syy) / 2) ** 2 + sxy**2)
    low, high = half_trace - spread, half_trace + spread
    edges = high > 0.003
    coherence = (low / (high + 1e-9))[edges].mean() if edges.any() else 0.0
    return [*((low > t).mean() for t in (0.0005, 0.002, 0.008)), edges.mean(), coherence]


def _held_out_accuracy(images_0, images_1):
    """Accuracy of a linear discriminant fitted on 3/4 of each set, tested on the rest."""
    x = np.array([_texture_features(i) for i in [*images_0, *images_1]])
    y = np.repeat([0, 1], [len(images_0), len(images_1)])
    train = np.arange(len(y)) % 4 != 0
    mean, std = x[train].mean(0), x[train].std(0) + 1e-9
    z = (x - mean) / std
    m0, m1 = z[train & (y == 0)].mean(0), z[train & (y == 1)].mean(0)
    cov = np.cov(z[train].T) + 1e-3 * np.eye(z.shape[1])
    w = np.linalg.solve(cov, m1 - m0)
    predicted = z[~train] @ w - w @ (m0 + m1) / 2 > 0
    return (predicted == y[~train]).mean()


def test_render_is_deterministic():
    first = render_synthetic("A", 7, 48, seed=1)
    assert first.shape == (48, 48, 3) and first.dtype == np.uint8
    np.testing.assert_array_equal(first, render_synthetic("A", 7, 48, seed=1))
    for other in (render_synthetic("A", 8, 48, seed=1), render_synthetic("A", 7, 48, seed=2),
                  render_synthetic("B", 7, 48, seed=1), render_synthetic("A", 7, 48, 1, "test")):
        assert not np.array_equal(first, other)


def test_pipelines_are_deterministic():
    config = data_config(synthetic_size=10, synthetic_test_size=4)
    train = [np.stack([a, b]) for a, b in build_train_dataset(config, 24, 2, seed=1).take(4)]
    again = [np.stack([a, b]) for a, b in build_train_dataset(config, 24, 2, seed=1).take(4)]
    np.testing.assert_array_equal(np.stack(train), np.stack(again))
    test = np.stack([i for i, _ in build_eval_dataset(config, 24, domain="A")])
    expected = np.stack([render_synthetic("A", i, 24, 0, "test") for i in range(4)])
    np.testing.assert_allclose((test + 1) * 127.5, expected, atol=1e-3)


def test_domains_differ_statistically():
    a = [render_synthetic("A", i, 64) for i in range(160)]
    b = [render_synthetic("B", i, 64) for i in range(160)]
    assert _held_out_accuracy(a, b) > 0.85
    # The same classifier cannot tell two samples of one domain apart.
    a_other = [render_synthetic("A", i, 64, seed=9) for i in range(160)]
    assert _held_out_accuracy(a, a_other) < 0.7


def test_colours_do_not_give_the_domain_away():
    a = np.stack([render_synthetic("A", i, 32) for i in range(200)]).reshape(200, -1, 3)
    b = np.stack([render_synthetic("B", i, 32) for i in range(200)]).reshape(200, -1, 3)
    np.testing.assert_allclose(a.mean((0, 1)), b.mean((0, 1)), atol=12)
