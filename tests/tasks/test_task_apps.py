"""Every task through the same commands: train (and resume), export, translate, evaluate.

Tiny configs of each family's demo preset; the U-GAT-IT paths have their own, longer
tests (tests/test_train_app.py, tests/test_export.py).
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (preset, overrides): 32 px (scheme I's discriminator needs 94), narrow, few blocks.
TASKS = {
    "cyclegan": ("configs/cyclegan/demo.py", [
        "--config.model.base_filters=4", "--config.model.disc_base_filters=4",
        "--config.model.num_res_blocks=1", "--config.model.image_size=32",
        "--config.loss.pool_size=2"]),
    "attention_gan_2": ("configs/attention_gan/demo.py:2", [
        "--config.model.base_filters=4", "--config.model.disc_base_filters=4",
        "--config.model.num_res_blocks=1", "--config.model.image_size=32"]),
}
COMMON = ["--config.data.synthetic_size=8", "--config.data.synthetic_test_size=4",
          "--config.train.save_freq=2", "--config.train.print_freq=2",
          "--xla_cache_dir="]


def run(script, *args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([sys.executable, os.path.join(ROOT, script), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=900, env=env)


# AttentionGAN's run (its scheme II model is the slowest to trace) is in `-m slow`, as CI runs.
@pytest.fixture(scope="module", params=[
    pytest.param(name, marks=pytest.mark.slow) if name.startswith("attention_gan") else name
    for name in sorted(TASKS)])
def trained(request, tmp_path_factory):
    preset, overrides = TASKS[request.param]
    workdir = str(tmp_path_factory.mktemp(request.param) / "run")
    args = [f"--config={preset}", *overrides, *COMMON, f"--workdir={workdir}"]
    first = run("train.py", *args, "--config.train.iterations=2")
    assert first.returncode == 0, first.stderr[-3000:]
    resumed = run("train.py", *args, "--config.train.iterations=4")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    return request.param, workdir, resumed.stderr


def test_train_resumes_and_writes_samples(trained):
    _, workdir, log = trained
    assert "Resumed from" in log and "ckpt-2" in log
    assert sorted(os.listdir(os.path.join(workdir, "checkpoints")))[-1].startswith("ckpt-4")
    samples = sorted(os.listdir(os.path.join(workdir, "samples")))
    assert "A2B_0000004.png" in samples and "B2A_0000004.png" in samples
    with open(os.path.join(workdir, "config.json")) as f:
        assert json.load(f)["task"] in ("cyclegan", "attention_gan")


def test_export_signatures_hold_the_task_outputs(trained, tmp_path):
    name, workdir, _ = trained
    result = run("export.py", f"--workdir={workdir}", f"--export_dir={tmp_path}",
                 "--tflite=float32")
    assert result.returncode == 0, result.stderr[-3000:]
    version = os.path.join(tmp_path, "run", "1")
    with open(os.path.join(version, "export_metadata.json")) as f:
        metadata = json.load(f)
    outputs = metadata["signatures"]["a2b"]["outputs"]
    # AttentionGAN scheme II: the 9 foreground masks and the background mask.
    expected = {"image": 3, **({"attention": 10} if name == "attention_gan_2" else {})}
    assert {k: v[1][-1] for k, v in outputs.items()} == expected
    assert metadata["signatures"]["a2b_bytes"]["outputs"] == {
        "image_bytes": ["string", [None]]}
    # The SavedModel and the TFLite file agree with the Keras generator (export checks).
    for key, error in metadata["verification"]["saved_model_max_abs_error"].items():
        assert error < 1e-4, key  # float32 graph vs Keras: rounding only
    for entry in metadata["tflite"].values():
        assert entry["max_abs_error_vs_keras"] < 1e-3  # TFLite's fused kernels
        assert not {"FLEX", "CUSTOM"} & {op.split(":")[0] for op in entry["operators"]}


def test_translate_writes_images_and_strips(trained, tmp_path):
    _, workdir, _ = trained
    inputs = tmp_path / "in"
    inputs.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        Image.fromarray(rng.integers(0, 255, (40, 48, 3), np.uint8)).save(inputs / f"{i}.jpg")
    out = tmp_path / "out"
    result = run("translate.py", f"--workdir={workdir}", f"--input_dir={inputs}",
                 f"--output_dir={out}", "--strips", "--keep_size")
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(os.listdir(out / "strips")) == ["0.png", "1.png"]
    image = np.asarray(Image.open(out / "0.png"))
    assert image.shape == (40, 48, 3)  # --keep_size
    strip = np.asarray(Image.open(out / "strips" / "0.png"))
    assert strip.shape[1] == 32 and strip.shape[0] % 32 == 0 and strip.shape[0] >= 3 * 32


def test_evaluate_scores_both_directions(trained, tmp_path):
    _, workdir, _ = trained
    result = run("evaluate.py", f"--workdir={workdir}", "--metrics=accuracy",
                 "--classifier_steps=20", f"--eval_dir={tmp_path}")
    assert result.returncode == 0, result.stderr[-3000:]
    with open(tmp_path / "metrics.json") as f:
        payload = json.load(f)
    for d in ("a2b", "b2a"):
        assert payload[d]["num_translated"] == 4
        assert 0.0 <= payload[d]["translation_accuracy"] <= 1.0


def test_default_workdir_is_named_after_the_task(tmp_path):
    preset, overrides = TASKS["attention_gan_2"]
    path, _, argument = preset.partition(":")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "train.py"),
         f"--config={os.path.join(ROOT, path)}:{argument}", *overrides, *COMMON,
         "--config.train.iterations=1"],
        cwd=tmp_path, capture_output=True, text=True, timeout=900,
        env={**env, "PYTHONPATH": ROOT})
    assert result.returncode == 0, result.stderr[-3000:]
    assert os.listdir(tmp_path / "work_dirs") == ["synthetic_attention_gan2"]
