"""The domain classifier: learns A vs B on synthetic data, caches, scores translations."""

import json
import os
import shutil

import numpy as np
import pytest

from ugatit_tf.evaluation import domain_classifier as dc
from ugatit_tf.models import build_networks


@pytest.fixture(scope="module")
def classifier(classifier_cache, synthetic):
    model, info = dc.classifier_for_dataset(synthetic.data_config, synthetic.image_size,
                                            classifier_cache, **synthetic.classifier_options)
    assert info["cached"]
    return model


def test_classifier_separates_the_synthetic_domains(classifier, synthetic):
    acc_a = dc.domain_accuracy(classifier.logits(synthetic.test_arrays("A")), "A")
    acc_b = dc.domain_accuracy(classifier.logits(synthetic.test_arrays("B")), "B")
    # Tiny settings (32 px, 300 steps, 30 s); the bench reaches higher with the defaults.
    assert (acc_a + acc_b) / 2 >= 0.75 and min(acc_a, acc_b) >= 0.55, (acc_a, acc_b)


def test_identity_translation_of_real_b_scores_high_untrained_generator_low(
        classifier, synthetic):
    real_b = synthetic.test_arrays("B")
    identity_accuracy = dc.domain_accuracy(classifier.logits(real_b), "B")
    nets = build_networks(base_filters=8, num_res_blocks=1, image_size=synthetic.image_size,
                          light=True, disc_global_layers=5, disc_local_layers=3)
    fake_b = nets.gen_a2b(synthetic.test_arrays("A"), training=False)[0]
    untrained_accuracy = dc.domain_accuracy(classifier.logits(fake_b), "B")
    assert untrained_accuracy <= 0.2 < 0.75 <= identity_accuracy


def test_cache_is_reused_only_for_the_same_setup(classifier, classifier_cache, synthetic,
                                                 tmp_path):
    cache = str(tmp_path / "eval")
    shutil.copytree(classifier_cache, cache)
    x = synthetic.test_arrays("A")[:4]

    def never_called():
        raise AssertionError("the cached classifier should have been used")

    with open(os.path.join(cache, dc.INFO_FILE)) as f:
        key = json.load(f)["key"]
    key = {k: v for k, v in key.items() if k not in ("steps", "input_size", "seed")}
    options = synthetic.classifier_options
    again, info = dc.load_or_train(cache, key, never_called, **options)
    assert info["cached"]
    np.testing.assert_allclose(again.logits(x), classifier.logits(x), atol=1e-5)
    np.testing.assert_allclose(again.features(x), classifier.features(x), atol=1e-5)
    with pytest.raises(AssertionError, match="cached classifier"):
        dc.load_or_train(cache, dict(key, dataset="other"), never_called, **options)
    with pytest.raises(AssertionError, match="cached classifier"):
        dc.load_or_train(cache, key, never_called, **dict(options, steps=301))


def test_features_are_the_penultimate_layer(classifier, synthetic):
    features = np.asarray(classifier.features(synthetic.test_arrays("A")[:3]))
    assert features.shape == (3, classifier.model.get_layer(dc.FEATURE_LAYER).units)


def test_training_batches_are_shaped_like_the_test_images(synthetic):
    a, b = next(iter(dc.training_batches(synthetic.data_config, synthetic.image_size, 4)))
    assert a.shape == b.shape == (4, synthetic.image_size, synthetic.image_size, 3)
    assert -1.0 <= float(np.min(a)) and float(np.max(b)) <= 1.0


def test_bad_arguments():
    with pytest.raises(ValueError, match="domain"):
        dc.domain_accuracy(np.zeros(3), "C")
    with pytest.raises(ValueError, match="input_size"):
        dc.build_domain_classifier(input_size=8)


def test_training_shows_one_progress_line_per_interval(capsys):
    model = dc.build_domain_classifier(input_size=16, filters=(4, 4), feature_dim=8)
    rng = np.random.default_rng(0)
    batches = ((rng.uniform(-1, 1, (2, 16, 16, 3)), rng.uniform(-1, 1, (2, 16, 16, 3)))
               for _ in range(5))
    dc.train_domain_classifier(model, batches, steps=5, progress=True)
    lines = capsys.readouterr().out.splitlines()
    # Not a terminal: the first step's line, then the last (5 steps take < 30 s).
    assert len(lines) == 2, lines
    assert lines[0].startswith("domain classifier step 1/5 (20%) | loss ")
    assert lines[1].startswith("domain classifier step 5/5 (100%) | loss ")
    assert "train accuracy" in lines[1]
