"""Translate both test sets and score each direction against the real target images.

For a direction X->Y, the translations of testX are compared with the real testY images:
KID x100 (mean and std over subsets) and FID on Inception-v3 pool features, and the
domain classifier's translation accuracy and KID on its penultimate features (see
`domain_classifier` for what these mean and where they mislead), and the content match of
each translation with its own source (`content`: an input-ignoring generator fails it).
Each test set is read once; features are computed batch by batch, so no image set is held in memory.
"""

import dataclasses
import json
import os

import numpy as np

from ugatit_tf.directions import DIRECTIONS
from ugatit_tf.evaluation import batching, content, metrics
from ugatit_tf.evaluation.domain_classifier import domain_accuracy
from ugatit_tf.evaluation.options import (  # noqa: F401 (evaluator.ALL_METRICS, ...)
    ALL_METRICS,
    CLASSIFIER_METRICS,
    CONTENT_METRICS,
    INCEPTION_METRICS,
)
from ugatit_tf.progress import Progress


def parse_metrics(names):
    """`"accuracy,kid"` or a list -> a tuple of metric names, checked."""
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    unknown = sorted(set(names) - set(ALL_METRICS))
    if unknown or not names:
        raise ValueError(f"Unknown or no metrics {unknown or names}: choose from {ALL_METRICS}.")
    return tuple(n for n in ALL_METRICS if n in names)


@dataclasses.dataclass
class DomainFeatures:
    """What is computed from one test set (domain X): for its real and translated images."""

    real: dict  # extractor name -> [N, D] features ("logit": classifier logits [N, 3])
    translated: dict


def _source_pass(images, translate, extractors, batch_size, total, description, progress):
    real = {name: [] for name in extractors}
    fake = {name: [] for name in extractors}
    bar = Progress(total, unit="image", label=f"{description}: ") if progress else None
    count = 0
    for batch in batching.batches(images, batch_size):
        translated = translate(batch)
        for name, fn in extractors.items():
            real[name].append(np.asarray(fn(batch)))
            fake[name].append(np.asarray(fn(translated)))
        count += len(batch)
        if bar is not None:
            bar.add(len(batch))
    if bar is not None:
        bar.finish()
    if count == 0:
        raise ValueError(f"{description}: the test set is empty.")
    return DomainFeatures(real={k: np.concatenate(v) for k, v in real.items()},
                          translated={k: np.concatenate(v) for k, v in fake.items()})


def _kid_dict(real, fake, kid_options):
    mean, std = metrics.kid(real, fake, **kid_options)
    # With both sets no larger than the subset size, every subset is the whole set: std 0.
    size = min(len(real), len(fake),
               kid_options.get("max_subset_size", metrics.KID_MAX_SUBSET_SIZE))
    return {"mean": 100.0 * mean, "std": 100.0 * std, "subset_size": size}


def evaluate(test_images, translators, metric_names=ALL_METRICS, classifier=None,
             inception=None, batch_size=16, kid_options=None, progress=True):
    """Scores both directions.

    Args:
        test_images: `{"A": callable, "B": callable}`, each returning a fresh iterable of
            test images `[S, S, 3]` in [-1, 1] and optionally its `len` via `__len__`.
        translators: a `translators.Translators`.
        metric_names: a subset of `ALL_METRICS`.
        classifier: a `domain_classifier.DomainClassifier`, needed by `CLASSIFIER_METRICS`.
        inception: an `inception.InceptionFeatures`, needed by `INCEPTION_METRICS`.
        batch_size: images per generator / feature-extractor call.
        kid_options: keyword arguments of `metrics.kid` (subsets, subset size, seed).
        progress: show progress bars.

    Returns:
        `{"a2b": {...}, "b2a": {...}}`; KID values are x100. `real_target_accuracy` is
        the classifier's accuracy on the real target test images (the ceiling),
        `source_as_target` the share of untranslated source images it assigns to the target;
        `content_match` the `content.content_match` of the sources and their translations.
    """
    metric_names = parse_metrics(metric_names)
    kid_options = kid_options or {}
    extractors = {}
    if any(m in CLASSIFIER_METRICS for m in metric_names):
        if classifier is None:
            raise ValueError(f"Metrics {CLASSIFIER_METRICS} need a domain classifier.")
        extractors["logit"] = classifier.logits
        if "classifier_kid" in metric_names:
            extractors["classifier"] = classifier.features
    if "content" in metric_names:
        extractors["thumbnail"] = content.thumbnails
    if any(m in INCEPTION_METRICS for m in metric_names):
        if inception is None:
            raise ValueError(f"Metrics {INCEPTION_METRICS} need Inception-v3 features.")
        extractors["inception"] = inception

    domains = {}
    for domain, direction in zip("AB", DIRECTIONS):
        images = test_images[domain]()
        try:
            total = len(images)
        except TypeError:
            total = None
        domains[domain] = _source_pass(
            images, translators[direction], extractors, batch_size, total,
            f"test{domain} {direction}, translating and extracting features", progress)

    results = {}
    for source, target, direction in (("A", "B", "a2b"), ("B", "A", "b2a")):
        fake, real = domains[source].translated, domains[target].real
        r = {"num_translated": len(next(iter(fake.values()))),
             "num_real_target": len(next(iter(real.values())))}
        if "accuracy" in metric_names:
            r["translation_accuracy"] = domain_accuracy(fake["logit"], target)
            r["real_target_accuracy"] = domain_accuracy(real["logit"], target)
            r["source_as_target"] = domain_accuracy(domains[source].real["logit"], target)
        if "content" in metric_names:
            r["content_match"] = content.content_match(
                domains[source].real["thumbnail"], fake["thumbnail"])
        if "classifier_kid" in metric_names:
            r["classifier_kid_x100"] = _kid_dict(real["classifier"], fake["classifier"],
                                                 kid_options)
        if "kid" in metric_names:
            r["kid_x100"] = _kid_dict(real["inception"], fake["inception"], kid_options)
        if "fid" in metric_names:
            r["fid"] = metrics.fid(real["inception"], fake["inception"])
        results[direction] = r
    return results


def format_table(results):
    """The per-direction results as a fixed-width text table."""
    columns = [
        ("translation_accuracy", "transl. acc", lambda v: f"{100 * v:.1f}%"),
        ("real_target_accuracy", "real tgt acc", lambda v: f"{100 * v:.1f}%"),
        ("source_as_target", "src as tgt", lambda v: f"{100 * v:.1f}%"),
        ("content_match", "content", lambda v: f"{100 * v:.1f}%"),
        ("classifier_kid_x100", "clf KIDx100", lambda v: f"{v['mean']:.2f}±{v['std']:.2f}"),
        ("kid_x100", "KIDx100", lambda v: f"{v['mean']:.2f}±{v['std']:.2f}"),
        ("fid", "FID", lambda v: f"{v:.2f}"),
    ]
    present = [c for c in columns if any(c[0] in results.get(d, {}) for d in DIRECTIONS)]
    header = ["direction", "n"] + [c[1] for c in present]
    rows = [header]
    for d in DIRECTIONS:
        if d not in results:
            continue
        r = results[d]
        rows.append([d, str(r["num_translated"])] + [c[2](r[c[0]]) for c in present])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def write_json(path, payload):
    """Writes `payload` as indented JSON, creating the parent directory."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(payload, f, indent=2, sort_keys=True)


class _TestImages:
    """The images of one test domain as numpy arrays, with a length for progress bars."""

    def __init__(self, dataset):
        self.dataset = dataset
        n = int(dataset.cardinality())
        self._length = n if n >= 0 else None

    def __len__(self):
        if self._length is None:
            raise TypeError("unknown length")
        return self._length

    def __iter__(self):
        for image, _ in self.dataset.as_numpy_iterator():
            yield image


def dataset_test_images(data_config, image_size):
    """`{"A": ..., "B": ...}` for `evaluate`: testA / testB resized to `image_size`."""
    from ugatit_tf.data import build_eval_dataset

    return {d: (lambda d=d: _TestImages(build_eval_dataset(data_config, image_size, "test", d)))
            for d in "AB"}
