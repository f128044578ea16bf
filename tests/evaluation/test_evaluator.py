"""The evaluator on synthetic data with stand-in translators and a random Inception."""

import json

import numpy as np
import pytest

from ugatit_tf.evaluation import domain_classifier as dc
from ugatit_tf.evaluation import evaluator
from ugatit_tf.evaluation.translators import Translators


@pytest.fixture(scope="module")
def classifier(classifier_cache, synthetic):
    model, _ = dc.classifier_for_dataset(synthetic.data_config, synthetic.image_size,
                                         classifier_cache, **synthetic.classifier_options)
    return model


def oracle(target_images):
    """A "translator" returning real target-domain images, batch by batch."""
    position = [0]

    def translate(batch):
        start = position[0] % len(target_images)
        position[0] += len(batch)
        return np.take(target_images, range(start, start + len(batch)), axis=0, mode="wrap")

    return translate


def run(translators, synthetic, **kwargs):
    test = {d: (lambda d=d: list(synthetic.test_arrays(d))) for d in "AB"}
    return evaluator.evaluate(test, translators, batch_size=16, progress=False,
                              kid_options={"num_subsets": 10}, **kwargs)


def test_real_target_images_score_high_and_identity_low(classifier, synthetic):
    metrics = ("accuracy", "classifier_kid")
    good = run(Translators(a2b=oracle(synthetic.test_arrays("B")),
                           b2a=oracle(synthetic.test_arrays("A"))),
               synthetic, metric_names=metrics, classifier=classifier)
    identity = Translators(a2b=lambda x: x, b2a=lambda x: x)
    bad = run(identity, synthetic, metric_names=metrics, classifier=classifier)
    for d in ("a2b", "b2a"):
        assert good[d]["translation_accuracy"] >= 0.55
        assert good[d]["translation_accuracy"] == good[d]["real_target_accuracy"]
        assert bad[d]["translation_accuracy"] <= good[d]["translation_accuracy"] - 0.3
        assert bad[d]["translation_accuracy"] == bad[d]["source_as_target"]
        assert good[d]["num_translated"] == synthetic.test_arrays("A").shape[0]
        good_kid, bad_kid = good[d]["classifier_kid_x100"], bad[d]["classifier_kid_x100"]
        # Real target images against themselves, each subset the whole set (n <= 1000):
        # the unbiased estimate is exactly (2/m)(mean_{i!=j} k_ij - mean_i k_ii), <= 0 for
        # this positive semi-definite kernel (k_ij <= (k_ii + k_jj) / 2), whatever its
        # size (tests/evaluation/test_metrics.py checks the formula). Untranslated inputs
        # are another distribution: above 0.
        assert good_kid["mean"] <= 0.0 < bad_kid["mean"]
    assert "kid_x100" not in good["a2b"] and "fid" not in good["a2b"]


class PooledPixels:
    """A fast stand-in for `inception.InceptionFeatures`: 4x4-pooled pixels (48-d).

    Inception itself is tested in test_inception.py; FID on 2048-d features costs a
    minute of `sqrtm` on 2 cores, too slow for this plumbing test.
    """

    def __call__(self, images):
        x = np.asarray(images)
        n, h, w, c = x.shape
        return x.reshape(n, 4, h // 4, 4, w // 4, c).mean((2, 4)).reshape(n, -1)


def test_inception_metrics_plumbing(synthetic):
    rng = np.random.default_rng(0)
    noisy = lambda x: np.clip(x + rng.normal(0, 0.5, x.shape), -1, 1).astype(np.float32)
    kwargs = dict(metric_names=("kid", "fid"), inception=PooledPixels())
    good = run(Translators(a2b=oracle(synthetic.test_arrays("B")), b2a=noisy), synthetic,
               **kwargs)
    assert set(good["a2b"]) == {"num_translated", "num_real_target", "kid_x100", "fid"}
    assert abs(good["a2b"]["fid"]) < 1e-6 < 0.1 < good["b2a"]["fid"]
    assert good["a2b"]["kid_x100"]["mean"] < 0.1 * good["b2a"]["kid_x100"]["mean"]
    assert good["a2b"]["kid_x100"]["subset_size"] == len(synthetic.test_arrays("B"))


def test_table_and_json(tmp_path):
    results = {d: {"num_translated": 3, "num_real_target": 4, "translation_accuracy": 0.5,
                   "kid_x100": {"mean": 1.234, "std": 0.1}} for d in ("a2b", "b2a")}
    table = evaluator.format_table(results)
    assert "50.0%" in table and "1.23±0.10" in table and "FID" not in table
    assert len(table.splitlines()) == 4
    path = tmp_path / "sub" / "metrics.json"
    evaluator.write_json(str(path), results)
    assert json.loads(path.read_text()) == results


def test_bad_requests_are_explained():
    with pytest.raises(ValueError, match="choose from"):
        evaluator.parse_metrics("accuracy,is")
    translators = Translators(a2b=lambda x: x, b2a=lambda x: x)
    with pytest.raises(ValueError, match="domain classifier"):
        evaluator.evaluate({}, translators, metric_names="accuracy")
    with pytest.raises(ValueError, match="Inception"):
        evaluator.evaluate({}, translators, metric_names="fid")


def test_content_match_fails_a_generator_that_ignores_its_input(synthetic):
    one_b = synthetic.test_arrays("B")[:1]
    constant = Translators(a2b=lambda x: np.repeat(one_b, len(x), axis=0),
                           b2a=lambda x: np.repeat(one_b, len(x), axis=0))
    identity = Translators(a2b=lambda x: x, b2a=lambda x: x)
    bad = run(constant, synthetic, metric_names=("content",))
    good = run(identity, synthetic, metric_names=("content",))
    for d in ("a2b", "b2a"):
        assert bad[d]["content_match"] == 0.0 and good[d]["content_match"] == 1.0
    assert "content" in evaluator.format_table(good)


def test_each_pass_is_one_labelled_progress_line(synthetic, capsys):
    identity = Translators(a2b=lambda x: x, b2a=lambda x: x)
    test = {d: (lambda d=d: list(synthetic.test_arrays(d))) for d in "AB"}
    evaluator.evaluate(test, identity, metric_names=("content",), batch_size=16)
    lines = capsys.readouterr().out.splitlines()  # not a terminal: first and last each
    n = len(synthetic.test_arrays("A"))  # the first batch of 16, then all
    first, last = f"16/{n} ({100 * 16 / n:.0f}%)", f"{n}/{n} (100%)"
    assert [line.split(" | ")[0] for line in lines] == [
        f"testA a2b, translating and extracting features: {first}",
        f"testA a2b, translating and extracting features: {last}",
        f"testB b2a, translating and extracting features: {first}",
        f"testB b2a, translating and extracting features: {last}"]
