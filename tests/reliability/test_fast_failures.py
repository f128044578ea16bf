"""Answers that need no model: a missing dataset before TensorFlow starts, --help exits 0."""

import re
import subprocess
import sys
import time

import apps
import pytest

from ugatit_tf.dataset_check import DatasetNotFoundError, check_dataset


def test_folder_datasets_are_checked_and_others_pass(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="cat2dog"):
        check_dataset({"dataset": "cat2dog", "data_root": str(tmp_path)})
    for sub in ("trainA", "testA", "testB"):
        (tmp_path / "d" / sub).mkdir(parents=True)
    with pytest.raises(DatasetNotFoundError, match="no trainB folder"):
        check_dataset({"dataset": "d", "data_root": str(tmp_path)})
    check_dataset({"dataset": "d", "data_root": str(tmp_path)}, splits=("test",))
    (tmp_path / "d" / "trainB").mkdir()
    check_dataset({"dataset": "d", "data_root": str(tmp_path)})
    check_dataset({"dataset": "synthetic"})
    check_dataset({"dataset": "tfds:horse2zebra"})  # TFDS finds or downloads its data


def test_train_app_fails_fast_without_tensorflow(tmp_path):
    start = time.monotonic()
    result = apps.run("train.py", "--dataset=cat2dog", f"--data_root={tmp_path}",
                      f"--workdir={tmp_path / 'w'}", "--config=configs/demo.py")
    elapsed = time.monotonic() - start
    assert result.returncode == 2, result.stderr
    assert "Dataset 'cat2dog' not found" in result.stderr
    assert not (tmp_path / "w").exists()
    # Importing TensorFlow alone takes ~4 s here and the model build ~15 s more; the
    # check needs neither (0.5 s measured), so 10 s leaves room for a loaded machine.
    assert elapsed < 10, elapsed


@pytest.mark.parametrize("app", ["train.py", "translate.py", "evaluate.py", "export.py"])
def test_help_exits_0(app):
    result = apps.run(app, "--help")
    assert result.returncode == 0, result.stderr
    assert "--workdir" in result.stdout
    # The usage examples print as written: a backslash-newline in the docstring (not a
    # raw string) joins two lines into "... --direction=b2a         --output_dir=...".
    assert not re.search(r"\S {5,}--", result.stdout), result.stdout[:1500]


def test_evaluate_checks_its_flags_before_tensorflow_starts():
    script = "import sys; sys.argv = ['evaluate.py']; import evaluate; print(sorted(" \
             "m for m in ('tensorflow', 'keras') if m in sys.modules))"
    imported = subprocess.run([sys.executable, "-c", script], cwd=apps.ROOT,
                              capture_output=True, text=True, timeout=60)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "[]"
    apps.assert_user_error(apps.run("evaluate.py", "--workdir=w", "--batch_size=0"),
                           "batch_size")


def test_tensorflow_start_up_lines_are_not_shown():
    """As a user runs an app (no TF_CPP_MIN_LOG_LEVEL): TensorFlow starts (evaluate.py
    reads the work dir with it), and its banner is not shown, neither once nor twice."""
    env = {k: v for k, v in apps.env().items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run([sys.executable, "evaluate.py", "--workdir=no_such_dir"],
                            cwd=apps.ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    line = apps.assert_user_error(result, "no_such_dir")
    assert result.stderr.strip() == line, result.stderr  # nothing but the error
