"""Every app turns a user error into one line and exit code 2, before anything is written.

The cases of issue 15 (items 6, 7, 9) and more; each runs the app as a user does. Those
marked `quick` fail before TensorFlow is imported (~0.5 s each).
"""

import os

import pytest
from apps import TINY, assert_user_error, run

from ugatit_tf.workdir_lock import WorkdirLock

DEMO = "--config=configs/demo.py"

# (app, arguments, fragments of the one-line message). "{w}" is a fresh work dir.
QUICK = {
    "positional argument": ("train.py", ["cat2dog"], ["unexpected argument(s) 'cat2dog'",
                                                      "--dataset=cat2dog"]),
    "save_freq=0": ("train.py", [DEMO, "--config.train.save_freq=0"],
                    ["config.train.save_freq=0 must be an integer >= 1"]),
    "log_freq=0": ("train.py", [DEMO, "--config.train.log_freq=0"],
                   ["config.train.log_freq=0 must be an integer >= 1"]),
    "batch size 0": ("train.py", [DEMO, "--config.data.batch_size=0"],
                     ["config.data.batch_size=0 must be an integer >= 1"]),
    "keep_checkpoints=0": ("train.py", [DEMO, "--config.train.keep_checkpoints=0"],
                           ["config.train.keep_checkpoints=0"]),
    "negative size": ("train.py", [DEMO, "--config.model.image_size=-64"],
                      ["config.model.image_size=-64 must be a multiple of 4, at least 8"]),
    "size too small for the discriminator": (
        "train.py", [DEMO, "--config.model.image_size=16"],
        ["config.model.disc_global_layers=5 needs config.model.image_size >= 24"]),
    "several bad values at once": (
        "train.py", [DEMO, "--config.train.learning_rate=-1", "--config.train.beta_1=1.5",
                     "--config.loss.cam=-2"],
        ["learning_rate=-1", "beta_1=1.5", "cam=-2"]),
    "unknown key": ("train.py", [DEMO, "--config.train.learnin_rate=1"],
                    ["unknown config key 'learnin_rate'"]),
    "wrong type": ("train.py", [DEMO, "--config.train.save_freq=often"],
                   ["--config.train.save_freq=often"]),
    "missing --config file": ("train.py", ["--config=configs/nonexistent.py"],
                              ["--config=configs/nonexistent.py", "No such file"]),
    "steps_per_loop=0 (it hung)": ("train.py", [DEMO, "--steps_per_loop=0"],
                                   ["--steps_per_loop=0 must be an integer >= 1"]),
    "unknown flag": ("train.py", ["--itertions=5"], ["itertions"]),
    "--checkpoint that does not exist": (
        "train.py", [DEMO, "--checkpoint=nowhere/ckpt-7"], ["nowhere/ckpt-7.index"]),
    "translate: positional argument": ("translate.py", ["--workdir=x", "photos"],
                                       ["unexpected argument(s) 'photos'"]),
    "translate: no --workdir": ("translate.py", [], ["--workdir"]),
    "translate: batch size 0": ("translate.py", ["--workdir=x", "--batch_size=0"],
                                ["--batch_size=0 must be an integer >= 1"]),
    "translate: missing input folder": ("translate.py", ["--workdir=x", "--input_dir=nope"],
                                        ["--input_dir=nope is not a directory"]),
    "export: positional argument": ("export.py", ["--workdir=x", "now"],
                                    ["unexpected argument(s) 'now'"]),
    "export: bad --tflite": ("export.py", ["--workdir=x", "--tflite=float32,int4"],
                             ["Unknown --tflite value(s) int4", "float16"]),
    "export: no source": ("export.py", [], ["Pass --workdir"]),
    "export: version 0": ("export.py", ["--workdir=x", "--version=0"],
                          ["--version=0 must be an integer >= 1"]),
}


@pytest.mark.parametrize("case", sorted(QUICK))
def test_quick_user_errors(case, tmp_path):
    app, args, fragments = QUICK[case]
    workdir = tmp_path / "w"
    extra = [f"--workdir={workdir}"] if app == "train.py" else []
    assert_user_error(run(app, *args, *extra, timeout=60), *fragments)
    assert not workdir.exists()  # nothing was written


def test_workdir_that_is_a_file(tmp_path):
    path = tmp_path / "file"
    path.write_text("")
    assert_user_error(run("train.py", *TINY, f"--workdir={path}"), "is a file")


def test_a_second_run_on_a_work_dir_in_use_is_refused(tmp_path):
    """Issue 15: a second train.py must not corrupt a work dir in use."""
    workdir = tmp_path / "w"
    with WorkdirLock(str(workdir)):  # this test process is the run in progress
        line = assert_user_error(run("train.py", *TINY, f"--workdir={workdir}"),
                                 "is in use by another training run", f"PID {os.getpid()}")
    assert os.listdir(workdir) == ["train.lock"]  # nothing else was written
    assert "--workdir" in line


def test_translate_and_export_without_a_checkpoint(tmp_path):
    workdir = tmp_path / "empty"
    workdir.mkdir()
    assert_user_error(run("export.py", f"--workdir={workdir}"), "config.json does not exist")
    assert_user_error(run("train.py", *TINY, f"--workdir={workdir}", "--phase=test"),
                      "config.json does not exist")


def test_translate_input_folders_without_images(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    line = assert_user_error(run("translate.py", "--workdir=unused", f"--input_dir={empty}"),
                             f"{empty} is empty", "--input_dir must be a folder of image")
    assert "trainA" not in line  # the training layout does not apply to translate
    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / "notes.txt").write_text("not an image")
    (texts / "sub").mkdir()
    assert_user_error(run("translate.py", "--workdir=unused", f"--input_dir={texts}"),
                      "no usable image")


@pytest.mark.slow
def test_evaluate_user_errors(tmp_path):
    assert_user_error(run("evaluate.py", "--workdir=x", "extra"), "unexpected argument")
    assert_user_error(run("evaluate.py", "--workdir=x", "--kid_subset_size=1"),
                      "--kid_subset_size=1 must be an integer >= 2")
    assert_user_error(run("evaluate.py"), "exactly one of --workdir")
    assert_user_error(run("evaluate.py", f"--workdir={tmp_path}"), "config.json")


def test_internal_errors_keep_their_traceback_and_ctrl_c_is_one_line():
    """Only user errors are shortened: anything else is a bug to report, with its
    traceback (run through the same wrapper as the apps)."""
    import subprocess
    import sys

    from apps import ROOT
    script = ("import os; from ugatit_tf import app_errors\n"
              "def main(argv):\n"
              "    raise {}\n"
              "app_errors.run(main)\n")
    for error, code, expected in (("KeyError('internal')", 1, "KeyError: 'internal'"),
                                  ("KeyboardInterrupt", 130, ": interrupted")):
        result = subprocess.run([sys.executable, "-c", script.format(error)], cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == code, result.stderr
        assert expected in result.stderr
        assert ("Traceback" in result.stderr) == (code == 1)
