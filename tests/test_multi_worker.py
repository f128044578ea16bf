"""MultiWorkerMirroredStrategy: two train.py processes on localhost (TF_CONFIG)."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from test_train_app import ROOT, TINY


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_workers_train_to_identical_weights(tmp_path):
    workers = [f"127.0.0.1:{free_port()}" for _ in range(2)]
    workdir = tmp_path / "w"
    procs = []
    for index in range(2):
        tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        env = {**os.environ, "TF_CONFIG": json.dumps(tf_config), "TF_CPP_MIN_LOG_LEVEL": "2"}
        procs.append(subprocess.Popen(
            [sys.executable, "train.py", *TINY, "--strategy=multi_worker",
             f"--workdir={workdir}", "--config.train.iterations=4",
             "--config.data.batch_size=2"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [p.communicate(timeout=900)[0] for p in procs]
    for p, out in zip(procs, outputs):
        assert p.returncode == 0, out[-3000:]

    chief = tf.train.latest_checkpoint(workdir / "checkpoints")
    other = tf.train.latest_checkpoint(workdir / "tmp_worker" / "1")
    assert chief.endswith("ckpt-4") and other.endswith("ckpt-4")
    a, b = tf.train.load_checkpoint(chief), tf.train.load_checkpoint(other)
    names = [n for n, _ in tf.train.list_variables(chief) if "VARIABLE_VALUE" in n]
    assert len(names) > 100
    for name in names:
        np.testing.assert_array_equal(a.get_tensor(name), b.get_tensor(name), err_msg=name)
    assert int(a.get_tensor("step/.ATTRIBUTES/VARIABLE_VALUE")) == 4
