"""Work dirs and exports written before the task layer still work.

`tests/fixtures/v0_1_workdir` (config.json without `task`, ckpt-2) and
`tests/fixtures/v0_1_export/1` (its SavedModel) were written by the code at c0e063a,
the last commit before tasks existed:

    python train.py --config=configs/demo.py --workdir=v0_1_workdir \\
        --config.model.base_filters=2 --config.model.num_res_blocks=1 \\
        --config.model.image_size=32 --config.model.disc_global_layers=4 \\
        --config.model.disc_local_layers=3 --config.data.synthetic_size=8 \\
        --config.data.synthetic_test_size=4 --config.train.iterations=2 \\
        --config.train.save_freq=2 --config.train.print_freq=1000
    python export.py --workdir=v0_1_workdir --export_dir=exports --tflite=
"""

import os
import shutil
import subprocess
import sys

import numpy as np
import tensorflow as tf

from ugatit_tf import checkpoints
from ugatit_tf.evaluation import translators

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
WORKDIR = os.path.join(FIXTURES, "v0_1_workdir")
EXPORT = os.path.join(FIXTURES, "v0_1_export", "1")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_old_checkpoint_restores_every_network_into_the_ugatit_task():
    reader = tf.train.load_checkpoint(os.path.join(WORKDIR, "checkpoints", "ckpt-2"))
    task, config = checkpoints.load_task(WORKDIR)
    assert task.name == "ugatit" and "task" not in config  # the default task
    compared = 0
    for name, net in task.networks.items():
        for path, variable in checkpoints.variables_by_path(net).items():
            # A dict key's "/" is written as ".S" in the checkpoint's object names.
            key = f"{name}/{path.replace('/', '.S')}/.ATTRIBUTES/VARIABLE_VALUE"
            np.testing.assert_array_equal(variable.numpy(), reader.get_tensor(key), key)
            compared += 1
    assert compared == sum(len(n.variables) for n in task.networks.values()) > 0


def test_old_export_translates_like_the_old_checkpoint():
    task, _ = checkpoints.load_task(WORKDIR)
    loaded = translators.from_saved_model(EXPORT)
    direct = translators.from_task(task)
    x = tf.random.stateless_uniform([2, 32, 32, 3], [3, 4], -1, 1)
    for d in ("a2b", "b2a"):
        # The old graph's float32 statistics against today's float64-accumulated ones.
        np.testing.assert_allclose(loaded[d](x), direct[d](x), atol=1e-5)


def test_old_workdir_resumes_and_exports(tmp_path):
    workdir = str(tmp_path / "run")
    shutil.copytree(WORKDIR, workdir)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    train = subprocess.run(
        [sys.executable, "train.py", "--config=configs/demo.py", f"--workdir={workdir}",
         "--config.model.base_filters=2", "--config.model.num_res_blocks=1",
         "--config.model.image_size=32", "--config.model.disc_global_layers=4",
         "--config.model.disc_local_layers=3", "--config.data.synthetic_size=8",
         "--config.data.synthetic_test_size=4", "--config.train.iterations=4",
         "--config.train.save_freq=2", "--config.train.print_freq=1000",
         "--xla_cache_dir="], cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert train.returncode == 0, train.stderr[-3000:]
    assert "ckpt-2" in train.stderr and "at step 2" in train.stderr  # resumed, not restarted
    assert os.path.exists(os.path.join(workdir, "checkpoints", "ckpt-4.index"))
