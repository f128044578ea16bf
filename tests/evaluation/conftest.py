"""The built-in synthetic dataset, small, for the evaluation tests."""

import types

import numpy as np
import pytest

from ugatit_tf.data import build_eval_dataset

IMAGE_SIZE = 32
DATA_CONFIG = {"dataset": "synthetic", "synthetic_size": 1000, "synthetic_test_size": 48}


_test_cache = {}


def test_arrays(domain):
    if domain not in _test_cache:
        dataset = build_eval_dataset(DATA_CONFIG, IMAGE_SIZE, "test", domain)
        _test_cache[domain] = np.stack([image for image, _ in dataset.as_numpy_iterator()])
    return _test_cache[domain]


@pytest.fixture(scope="session")
def synthetic():
    """The test data set-up, its test images as arrays, the classifier settings."""
    return types.SimpleNamespace(
        image_size=IMAGE_SIZE, data_config=DATA_CONFIG,
        test_arrays=test_arrays, classifier_options={"steps": 300, "input_size": 32})


@pytest.fixture(scope="session")
def classifier_cache(tmp_path_factory, synthetic):
    """A directory holding the domain classifier of the test data, trained once."""
    from ugatit_tf.evaluation import domain_classifier

    cache = str(tmp_path_factory.mktemp("classifier"))
    domain_classifier.classifier_for_dataset(
        synthetic.data_config, synthetic.image_size, cache, **synthetic.classifier_options)
    return cache
