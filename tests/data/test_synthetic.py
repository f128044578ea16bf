"""The built-in data is deterministic and its two domains differ in the outline alone."""

import numpy as np
from data_helpers import data_config

from ugatit_tf.data import build_eval_dataset, build_train_dataset, render_synthetic, synthetic
from ugatit_tf.evaluation import content


def _dark_share(image):
    """Share of the pixels that are near the outline colour (all channels below 0.25)."""
    return (image.astype(np.float64).max(-1) / 255 < 0.25).mean()


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


def test_one_scene_in_both_domains_differs_only_along_the_outlines():
    for index in range(20):
        objects = synthetic.scene(np.random.default_rng(index))
        a, b = synthetic.paint(objects, "A", 64), synthetic.paint(objects, "B", 64)
        y, x = (np.mgrid[0:64, 0:64] + 0.5) / 64
        # Away from every object's band [-OUTLINE, 0] inside its border (one pixel of
        # antialiasing on either side), the two paintings are the same image.
        pixel = 1 / 64
        distances = [synthetic._signed_distance(o, x, y) for o in objects]
        away = ~np.any([(d < pixel) & (d > -synthetic.OUTLINE - pixel) for d in distances], 0)
        np.testing.assert_allclose(a[away], b[away], atol=1e-12)
        assert np.abs(a - b).max() > 0.5  # the outline is dark on saturated colours


def test_only_b_has_dark_pixels():
    a = np.stack([render_synthetic("A", i, 32) for i in range(200)])
    b = np.stack([render_synthetic("B", i, 32) for i in range(200)])
    # The palette and background have no channel below 0.15 + noise: no dark pixel in A;
    # every B object has some (its outline covers ~1/3 of its area at 32 px).
    assert max(_dark_share(i) for i in a) == 0
    assert min(_dark_share(i) for i in b) > 0.01


def test_the_content_match_pairs_a_scene_with_its_other_domain():
    # The ideal translation of an A image: the B painting of its scene. The content
    # match sees the shared layout and colours through the outline: all 40 pair up.
    scenes = [synthetic.scene(np.random.default_rng(i)) for i in range(40)]
    a = np.stack([synthetic.paint(s, "A", 32) for s in scenes]) * 2 - 1
    b = np.stack([synthetic.paint(s, "B", 32) for s in scenes]) * 2 - 1
    assert content.content_match(content.thumbnails(a), content.thumbnails(b)) == 1.0
