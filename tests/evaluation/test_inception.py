"""Inception-v3 feature pipeline with random weights: no download ever happens here."""

import os

import numpy as np
import pytest
import tensorflow as tf

from ugatit_tf.evaluation import batching, inception


@pytest.fixture(scope="module")
def random_inception():
    return inception.InceptionFeatures("random")


def test_features_are_2048_d_and_batch_independent(random_inception):
    images = np.random.default_rng(0).uniform(-1, 1, (5, 48, 48, 3)).astype(np.float32)
    features = batching.map_batches(random_inception, list(images), batch_size=2,
                                    progress=False)
    assert features.shape == (5, inception.FEATURE_DIM)
    assert np.isfinite(features).all()
    # Different images give different features; the batch split does not matter.
    assert np.abs(features[0] - features[1]).max() > 0
    whole = batching.map_batches(random_inception, images, batch_size=5, progress=False)
    np.testing.assert_allclose(whole, features, atol=1e-5)


def test_images_are_resized_bilinearly_to_299(random_inception):
    small = np.random.default_rng(1).uniform(-1, 1, (2, 40, 40, 3)).astype(np.float32)
    resized = inception.resize_for_inception(small)
    assert resized.shape == (2, 299, 299, 3)
    expected = tf.image.resize(small, (299, 299), "bilinear")
    np.testing.assert_allclose(resized, expected, atol=1e-6)
    # Extraction at any input size goes through that same resize.
    np.testing.assert_allclose(random_inception(small), random_inception(resized), atol=1e-5)
    # The model sees 299x299 inputs.
    assert tuple(random_inception.model.input_shape[1:3]) == (299, 299)


def test_weights_file_is_loaded(random_inception, tmp_path):
    path = str(tmp_path / "inception.weights.h5")
    random_inception.model.save_weights(path)
    loaded = inception.InceptionFeatures(path)
    x = np.random.default_rng(2).uniform(-1, 1, (2, 64, 64, 3)).astype(np.float32)
    np.testing.assert_allclose(loaded(x), random_inception(x), atol=1e-5)


def test_missing_weights_say_what_to_pass(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # an empty Keras cache
    with pytest.raises(inception.InceptionWeightsError, match="--inception_weights="):
        inception.resolve_weights(None)
    with pytest.raises(inception.InceptionWeightsError, match="no such file"):
        inception.resolve_weights(str(tmp_path / "missing.h5"))
    cached = tmp_path / "models" / inception.WEIGHTS_FILE
    os.makedirs(cached.parent)
    cached.write_bytes(b"")
    assert inception.resolve_weights("imagenet") == str(cached)


def test_a_wrong_weights_file_gives_a_clear_error(tmp_path):
    bad = tmp_path / "not_inception.h5"
    bad.write_bytes(b"not an h5 file")
    with pytest.raises(inception.InceptionWeightsError, match="no-top"):
        inception.InceptionFeatures(str(bad))
