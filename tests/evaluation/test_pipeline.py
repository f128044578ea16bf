"""evaluate.py end to end on a tiny work dir, and its error messages."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from configs import demo
from ugatit_tf import checkpoints
from ugatit_tf.directions import DIRECTIONS
from ugatit_tf.evaluation import pipeline

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, synthetic):
    """A work dir as train.py writes it, with an untrained tiny model."""
    path = str(tmp_path_factory.mktemp("run"))
    config = demo.get_config()
    config.model.update(base_filters=8, num_res_blocks=1, image_size=synthetic.image_size,
                        disc_global_layers=5, disc_local_layers=3)
    config.data.update(synthetic.data_config)
    checkpoints.write_config(path, config)
    nets = checkpoints.networks_from_config(config.model)
    checkpoints.make_checkpoint(nets, step=tf.Variable(0, dtype=tf.int64)).save(
        os.path.join(checkpoints.checkpoint_dir(path), "ckpt"))
    return path


def test_untrained_model_end_to_end(workdir, synthetic, classifier_cache, tmp_path,
                                    monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # no cached Inception weights
    shutil.copytree(classifier_cache, os.path.join(workdir, "eval"))  # skips the training
    options = synthetic.classifier_options
    payload, path = pipeline.run(workdir=workdir, classifier_steps=options["steps"],
                                 classifier_input_size=options["input_size"], kid_subsets=10,
                                 progress=False)
    assert path == os.path.join(workdir, "eval", "metrics.json")
    assert json.load(open(path)) == payload
    assert payload["metrics"] == ["accuracy", "classifier_kid", "content"]
    assert "--inception_weights=" in payload["notes"][0]
    for d in ("a2b", "b2a"):
        r = payload[d]
        assert r["num_translated"] == synthetic.data_config["synthetic_test_size"]
        # An untrained generator does not translate; the classifier knows the real images.
        assert r["translation_accuracy"] <= 0.2 < 0.55 <= r["real_target_accuracy"]
        assert r["classifier_kid_x100"]["mean"] > 0
        assert 0.0 <= r["content_match"] <= 1.0
    assert payload["domain_classifier"]["cached"]
    assert os.path.isfile(payload["domain_classifier"]["path"])


def test_requested_kid_without_weights_says_what_to_pass(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(pipeline.EvaluationError, match="--inception_weights=<path"):
        pipeline.resolve_metrics(["kid"], None)
    names, path, notes = pipeline.resolve_metrics(None, None)
    assert names == ("accuracy", "classifier_kid", "content") and path is None and notes


def test_bad_sources_are_explained(tmp_path):
    with pytest.raises(pipeline.EvaluationError, match="exactly one of"):
        pipeline.run(metric_names=["accuracy"])
    with pytest.raises(pipeline.EvaluationError, match="does not exist"):
        pipeline.run(workdir=str(tmp_path / "nope"), metric_names=["accuracy"])
    with pytest.raises(pipeline.EvaluationError, match="does not exist"):
        pipeline.run(saved_model=str(tmp_path / "nope"), metric_names=["accuracy"])


@pytest.mark.slow  # a fresh interpreter importing TensorFlow: ~10-20 s
def test_command_line_error_message(tmp_path):
    result = subprocess.run(
        [sys.executable, "evaluate.py", f"--workdir={tmp_path / 'missing'}"],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "evaluate.py:" in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow  # writing a SavedModel: ~20-40 s
def test_saved_model_translators_match_the_generators(workdir, tmp_path):
    from ugatit_tf import export_lib
    from ugatit_tf.evaluation import translators

    task, config = checkpoints.load_task(workdir)
    path = str(tmp_path / "export")
    export_lib.build_archive(task, config.model).write_out(path, verbose=False)
    loaded = translators.from_saved_model(path)
    direct = translators.from_task(task)
    x = tf.random.stateless_uniform([2, 32, 32, 3], [1, 2], -1, 1)
    for d in DIRECTIONS:
        np.testing.assert_allclose(loaded[d](x), direct[d](x), atol=1e-4)


def test_saved_model_eval_dir_is_outside_the_export(tmp_path, monkeypatch):
    """TF Serving loads <model>/<version>/ and watches <model>/: the cache goes elsewhere."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    export = tmp_path / "exports" / "demo" / "3"
    export.mkdir(parents=True)
    workdir = tmp_path / "work_dirs" / "demo"
    workdir.mkdir(parents=True)
    metadata = {"source": {"workdir": str(workdir)}}
    assert pipeline.saved_model_eval_dir(str(export), metadata) == str(
        workdir / "eval" / "demo_3")
    # Exported on another machine: the work dir is not here.
    elsewhere = pipeline.saved_model_eval_dir(str(export), {"source": {"workdir": "/gone"}})
    assert elsewhere.startswith(str(tmp_path / "home" / ".cache" / "ugatit_tf" / "eval" /
                                    "demo_3_"))
    assert not elsewhere.startswith(str(tmp_path / "exports"))
