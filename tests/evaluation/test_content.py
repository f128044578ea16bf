"""The content match fails input-ignoring generators and passes content-keeping ones."""

import numpy as np
import pytest

from ugatit_tf.data import render_synthetic
from ugatit_tf.evaluation import content


def _images(domain, n=40, size=32):
    return np.stack([render_synthetic(domain, i, size, 0, "test") for i in range(n)]) / 127.5 - 1


def _score(sources, translations):
    return content.content_match(content.thumbnails(sources), content.thumbnails(translations))


def test_identity_matches_and_a_constant_output_does_not():
    a = _images("A")
    assert _score(a, a) == 1.0
    # "Always the same B image": every distance ties, and a tie is no match.
    assert _score(a, np.repeat(_images("B", 1), len(a), axis=0)) == 0.0


def test_unrelated_targets_score_near_chance():
    a, b = _images("A"), _images("B")
    # Real B images paired with unrelated A sources: 40 candidates, chance 1/40; 0.15
    # allows a few coincidental nearest neighbours (6 of 40) and still fails the pairing.
    assert _score(a, b) <= 0.15


def test_a_texture_change_keeps_the_content():
    a = _images("A")
    rng = np.random.default_rng(0)
    # A stand-in translation: the source with a fine +-0.3 checker painted over it and
    # noise, as a generator that changes texture but keeps colours and layout would.
    checker = (np.indices((32, 32)).sum(0) % 2 * 0.6 - 0.3)[None, :, :, None]
    translated = np.clip(a + checker + rng.normal(0, 0.1, a.shape), -1, 1)
    assert _score(a, translated) >= 0.95  # area averaging cancels the checker; 2 misses allowed


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match="same shape"):
        content.content_match(np.zeros((4, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="images"):
        content.thumbnails(np.zeros((4, 8, 8)))
