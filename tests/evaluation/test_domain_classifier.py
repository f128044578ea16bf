"""The domain classifier: learns A vs B on synthetic data, caches, scores translations."""

import numpy as np
import pytest

from ugatit_tf.evaluation import domain_classifier as dc
from ugatit_tf.models import build_networks


@pytest.fixture(scope="module")
def trained(tmp_path_factory, synthetic):
    cache = str(tmp_path_factory.mktemp("eval"))
    classifier, info = dc.load_or_train(
        cache, synthetic.key, synthetic.train_batches, steps=synthetic.steps, input_size=32)
    return classifier, info, cache


def test_classifier_separates_the_synthetic_domains(trained, synthetic):
    classifier, info, _ = trained
    assert not info["cached"]
    test_a, test_b = synthetic.test_arrays("A"), synthetic.test_arrays("B")
    acc_a = dc.domain_accuracy(classifier.logits(test_a), "A")
    acc_b = dc.domain_accuracy(classifier.logits(test_b), "B")
    assert acc_a >= 0.9 and acc_b >= 0.9, (acc_a, acc_b)


def test_identity_translation_of_real_b_scores_high_untrained_generator_low(trained, synthetic):
    classifier, _, _ = trained
    real_b = synthetic.test_arrays("B")
    assert dc.domain_accuracy(classifier.logits(real_b), "B") >= 0.9
    nets = build_networks(base_filters=8, num_res_blocks=1, image_size=synthetic.image_size,
                          light=True, disc_global_layers=5, disc_local_layers=3)
    fake_b = nets.gen_a2b(synthetic.test_arrays("A"), training=False)[0]
    assert dc.domain_accuracy(classifier.logits(fake_b), "B") <= 0.3


def test_cache_is_reused_only_for_the_same_setup(trained, synthetic):
    classifier, _, cache = trained
    x = synthetic.test_arrays("A")[:4]
    calls = []

    def never_called():
        calls.append(1)
        raise AssertionError("the cached classifier should have been used")

    again, info = dc.load_or_train(cache, synthetic.key, never_called,
                                   steps=synthetic.steps, input_size=32)
    assert info["cached"] and not calls
    np.testing.assert_allclose(again.logits(x), classifier.logits(x), atol=1e-5)
    np.testing.assert_allclose(again.features(x), classifier.features(x), atol=1e-5)
    with pytest.raises(AssertionError, match="cached classifier"):
        dc.load_or_train(cache, dict(synthetic.key, dataset="other"), never_called,
                         steps=synthetic.steps, input_size=32)


def test_features_are_the_penultimate_layer(trained, synthetic):
    classifier, _, _ = trained
    features = np.asarray(classifier.features(synthetic.test_arrays("A")[:3]))
    assert features.shape == (3, classifier.model.get_layer(dc.FEATURE_LAYER).units)


def test_bad_arguments():
    with pytest.raises(ValueError, match="domain"):
        dc.domain_accuracy(np.zeros(3), "C")
    with pytest.raises(ValueError, match="input_size"):
        dc.build_domain_classifier(input_size=8)
