"""`evaluate.py` end to end: load the translators, pick the metrics, score, write JSON."""

import hashlib
import json
import os
import time

from ugatit_tf import runtime
from ugatit_tf.app_errors import UserError
from ugatit_tf.evaluation import domain_classifier, evaluator, inception, metrics, translators

METRICS_FILE = "metrics.json"
EVAL_SUBDIR = "eval"


class EvaluationError(UserError):
    """A bad request (paths, metrics, weights); the message says how to fix it."""


def _saved_model_metadata(path):
    metadata = os.path.join(path, "export_metadata.json")
    if os.path.isfile(metadata):
        with open(metadata) as f:
            return json.load(f)
    return {}


def saved_model_eval_dir(saved_model, metadata=None):
    """The default evaluation dir of an exported SavedModel, never inside the export
    (TF Serving watches the model folder): `<work dir>/eval/<model>_<version>` when the
    work dir it was exported from (`export_metadata.json`) is on this machine, else
    `~/.cache/ugatit_tf/eval/<model>_<version>_<hash of its absolute path>`."""
    path = os.path.abspath(saved_model)
    name = f"{os.path.basename(os.path.dirname(path))}_{os.path.basename(path)}"
    metadata = _saved_model_metadata(saved_model) if metadata is None else metadata
    workdir = metadata.get("source", {}).get("workdir")
    if workdir and os.path.isdir(workdir):
        return os.path.join(workdir, EVAL_SUBDIR, name)
    digest = hashlib.sha256(path.encode()).hexdigest()[:8]
    return os.path.join(os.path.expanduser(runtime.CACHE_DIR), EVAL_SUBDIR,
                        f"{name}_{digest}")


def resolve_metrics(requested, inception_weights):
    """Chooses the metrics and the Inception weights path.

    Args:
        requested: metric names, or `None` for all that can run: without Inception
            weights, KID / FID are skipped with a note instead of failing.
        inception_weights: the `--inception_weights` value.

    Returns:
        `(metric names, weights path or None, notes)`.
    """
    names = evaluator.parse_metrics(requested or evaluator.ALL_METRICS)
    notes = []
    path = None
    if any(m in evaluator.INCEPTION_METRICS for m in names):
        try:
            path = inception.resolve_weights(inception_weights)
        except inception.InceptionWeightsError as e:
            if requested:
                raise EvaluationError(str(e)) from e
            names = tuple(m for m in names if m not in evaluator.INCEPTION_METRICS)
            notes.append(f"KID and FID skipped: {e}")
    return names, path, notes


def run(workdir=None, checkpoint=None, saved_model=None, dataset=None, data_root=None,
        image_size=None, metric_names=None, inception_weights=None, batch_size=16,
        output=None, eval_dir=None, classifier_steps=domain_classifier.DEFAULT_STEPS,
        classifier_input_size=domain_classifier.DEFAULT_INPUT_SIZE,
        kid_subsets=metrics.KID_NUM_SUBSETS, kid_subset_size=metrics.KID_MAX_SUBSET_SIZE,
        progress=True):
    """Evaluates a training run (`workdir`) or an exported SavedModel on its test set.

    Args:
        workdir, checkpoint: a training work dir and optionally one checkpoint of it.
        saved_model: an exported SavedModel directory (instead of `workdir`).
        dataset, data_root: override the work dir's `config.data` (needed with
            `saved_model` unless the data is the built-in "synthetic").
        image_size: test image size; default: the trained model's.
        metric_names: subset of `evaluator.ALL_METRICS`; `None` for all that can run.
        inception_weights: see `inception.resolve_weights`.
        batch_size: images per generator / feature-extractor call.
        output: the JSON path; default `<eval_dir>/metrics.json`.
        eval_dir: holds the cached domain classifier; default `<workdir>/eval`
            (`saved_model_eval_dir` for a SavedModel).
        classifier_steps, classifier_input_size: domain classifier training set-up.
        kid_subsets, kid_subset_size: KID subsets and maximum subset size.
        progress: show progress bars and training logs.

    Returns:
        `(payload, output path)`; the payload is what the JSON holds.
    """
    if bool(workdir) == bool(saved_model):
        raise EvaluationError("Pass exactly one of --workdir (a training dir) and "
                              "--saved_model (an exported SavedModel dir).")
    names, weights_path, notes = resolve_metrics(metric_names, inception_weights)

    if workdir:
        source = {"workdir": workdir, "checkpoint": checkpoint}
        try:
            translate, config = translators.from_workdir(workdir, checkpoint)
        except (FileNotFoundError, ValueError) as e:
            raise EvaluationError(str(e)) from e
        data_config = config.data.to_dict()
        image_size = image_size or config.model.image_size
        eval_dir = eval_dir or os.path.join(workdir, EVAL_SUBDIR)
    else:
        source = {"saved_model": saved_model}
        try:
            translate = translators.from_saved_model(saved_model)
        except (FileNotFoundError, ValueError) as e:
            raise EvaluationError(str(e)) from e
        data_config = {"dataset": "synthetic"}
        metadata = _saved_model_metadata(saved_model)
        image_size = image_size or metadata.get("input", {}).get("image_size")
        if not image_size:
            raise EvaluationError(f"{saved_model} has no export_metadata.json: pass "
                                  "--image_size (the size the model was trained at).")
        eval_dir = eval_dir or saved_model_eval_dir(saved_model, metadata)
    if dataset:
        data_config["dataset"] = dataset
    if data_root:
        data_config["data_root"] = data_root

    start = time.time()
    classifier = info = None
    if any(m in evaluator.CLASSIFIER_METRICS for m in names):
        classifier, info = domain_classifier.classifier_for_dataset(
            data_config, image_size, eval_dir, steps=classifier_steps,
            input_size=classifier_input_size, progress=progress)
    features = inception.InceptionFeatures(weights_path) if weights_path else None
    results = evaluator.evaluate(
        evaluator.dataset_test_images(data_config, image_size), translate, names,
        classifier=classifier, inception=features, batch_size=batch_size,
        kid_options={"num_subsets": kid_subsets, "max_subset_size": kid_subset_size},
        progress=progress)

    payload = {
        **results,
        "source": source,
        "data": {"dataset": data_config.get("dataset"),
                 "data_root": data_config.get("data_root"), "image_size": image_size},
        "metrics": list(names),
        "settings": {"kid_subsets": kid_subsets, "kid_max_subset_size": kid_subset_size,
                     "kid_scale": 100, "kid_kernel": "(x.y/d + 1)^3",
                     "inception_weights": weights_path,
                     "inception_resize": "bilinear to 299x299"},
        "notes": notes,
        "seconds": round(time.time() - start, 1),
    }
    if info is not None:
        payload["domain_classifier"] = {
            "path": os.path.join(eval_dir, domain_classifier.MODEL_FILE), **info}
    output = output or os.path.join(eval_dir, METRICS_FILE)
    evaluator.write_json(output, payload)
    return payload, output
