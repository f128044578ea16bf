"""train.py and translate.py as a user runs them (subprocesses)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ugatit_tf import checkpoints

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--config=configs/demo.py", "--config.model.base_filters=4",
        "--config.model.num_res_blocks=1", "--config.model.image_size=32",
        "--config.model.disc_global_layers=4", "--config.model.disc_local_layers=3",
        "--config.data.synthetic_size=8", "--config.data.shuffle_buffer=8",
        "--config.data.synthetic_test_size=4",
        "--steps_per_loop=2", "--config.train.print_freq=4", "--config.train.save_freq=2",
        "--xla_cache_dir="]  # no XLA cache in the home folder


def run(script, *args, timeout=600):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.run([sys.executable, script, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_train_writes_checkpoints_samples_and_translates(tmp_path):
    workdir = tmp_path / "run"
    result = run("train.py", *TINY, f"--workdir={workdir}", "--config.train.iterations=4")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "'xla': False" in result.stderr  # no GPU here: the graph step, not XLA
    assert (workdir / "config.json").is_file()
    assert sorted(os.listdir(workdir / "samples")) == [
        "A2B_0000000.png", "A2B_0000004.png", "B2A_0000000.png", "B2A_0000004.png"]
    assert any(f.startswith("events") for f in os.listdir(workdir / "tensorboard"))
    task, config = checkpoints.load_task(str(workdir))
    assert config.model.image_size == 32

    # The same command again: already trained, nothing to do.
    again = run("train.py", *TINY, f"--workdir={workdir}", "--config.train.iterations=4")
    assert again.returncode == 0 and "already trained" in again.stderr

    out = tmp_path / "translated"
    result = run("train.py", *TINY, f"--workdir={workdir}", "--phase=test")
    assert result.returncode == 0, result.stderr[-3000:]
    a2b = sorted(os.listdir(workdir / "test" / "A2B"))
    assert "strips" in a2b and len(a2b) > 1
    # Progress for each direction: in a pipe, its first and last lines.
    assert "testA a2b 4/4 (100%)" in result.stdout, result.stdout
    assert "testB b2a 4/4 (100%)" in result.stdout
    assert "Wrote 4 A2B and 4 B2A translations" in result.stderr
    # translate.py without --input_dir: the same job, the same folder.
    again = run("translate.py", f"--workdir={workdir}")
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"translations (with strips/) to {workdir / 'test'}" in again.stderr
    images = tmp_path / "images"
    images.mkdir()
    from PIL import Image
    Image.new("L", (50, 40), 128).save(images / "gray.png")
    (images / "notes.txt").write_text("not an image")
    result = run("translate.py", f"--workdir={workdir}", f"--input_dir={images}",
                 f"--output_dir={out}", "--keep_size", "--strips")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "notes.txt" in result.stderr  # skipped, and named
    assert Image.open(out / "gray.png").size == (50, 40)
    assert Image.open(out / "strips" / "gray.png").size == (32, 7 * 32)


def test_missing_dataset_stops_with_the_expected_layout(tmp_path):
    result = run("train.py", *TINY, f"--workdir={tmp_path / 'w'}", "--dataset=cat2dog",
                 f"--data_root={tmp_path}")
    assert result.returncode == 2
    assert str(tmp_path / "cat2dog") in result.stderr
    assert "trainA" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "w" / "config.json").exists()


def test_resuming_another_model_is_refused(tmp_path):
    workdir = tmp_path / "w"
    workdir.mkdir()
    from configs import demo
    checkpoints.write_config(str(workdir), demo.get_config())
    result = run("train.py", *TINY, f"--workdir={workdir}")
    assert result.returncode != 0
    assert "holds a run of another model" in result.stderr


def test_kill_9_leaves_a_loadable_latest_checkpoint(tmp_path):
    workdir = tmp_path / "w"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.Popen(
        [sys.executable, "train.py", *TINY, f"--workdir={workdir}",
         "--config.train.iterations=100000", "--config.train.save_freq=2",
         "--steps_per_loop=1"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 400
        state = workdir / "checkpoints" / "checkpoint"
        while time.time() < deadline:  # wait for a few saves, then kill mid-run
            if state.exists() and "ckpt-6" in state.read_text() + "".join(
                    os.listdir(workdir / "checkpoints")):
                break
            time.sleep(0.2)
        else:
            pytest.fail("no checkpoint was written in time")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    task, _ = checkpoints.load_task(str(workdir))
    assert all(np.all(np.isfinite(v.numpy())) for n in task.networks.values()
               for v in n.variables)


SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.mark.slow
def test_train_on_real_folder_dataset(tmp_path):
    """The issue's integration run: a small preset on ../shared/data/ants2bees (which
    holds a palette PNG and images of mixed sizes)."""
    assert (SHARED_DATA / "ants2bees").is_dir(), f"{SHARED_DATA} is missing"
    workdir = tmp_path / "ants"
    result = run("train.py", *TINY, "--dataset=ants2bees", f"--data_root={SHARED_DATA}",
                 f"--workdir={workdir}", "--config.train.iterations=4")
    assert result.returncode == 0, result.stderr[-3000:]
    assert tf_checkpoint_step(workdir) == 4
    assert (workdir / "samples" / "A2B_0000004.png").is_file()


def tf_checkpoint_step(workdir):
    import tensorflow as tf
    reader = tf.train.load_checkpoint(str(workdir / "checkpoints"))
    return int(reader.get_tensor("step/.ATTRIBUTES/VARIABLE_VALUE"))


@pytest.mark.slow
@pytest.mark.parametrize("flag", ["--xla", "--mixed_precision=bfloat16",
                                  "--mixed_precision=float16"])
def test_train_options_run(tmp_path, flag):
    workdir = tmp_path / "w"
    cache = tmp_path / "xla_cache"
    result = run("train.py", *TINY, f"--workdir={workdir}", "--config.train.iterations=4",
                 flag, f"--xla_cache_dir={cache}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert tf_checkpoint_step(workdir) == 4
    # XLA keeps the compiled step for the next run; without XLA nothing is compiled.
    assert any(f.startswith("xla_compile_cache") for f in os.listdir(cache)) == (
        flag == "--xla")
    task, _ = checkpoints.load_task(str(workdir))
    assert all(np.all(np.isfinite(v.numpy())) for n in task.networks.values()
               for v in n.variables)
