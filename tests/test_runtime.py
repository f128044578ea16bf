"""`ugatit_tf.runtime.configure_runtime`, in fresh processes (its settings are global)."""

import json
import subprocess
import sys

import pytest

SCRIPT = """
import json, sys
import tensorflow as tf
from ugatit_tf import runtime
applied = runtime.configure_runtime(*json.loads(sys.argv[1]))
print(json.dumps({"applied": applied,
                  "inter_op": tf.config.threading.get_inter_op_parallelism_threads()}))
"""


def configure(*args):
    out = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(args)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("args,inter_op", [
    ((), 1),    # train.py's default on a machine without a GPU (this one)
    ((2,), 2),
    ((0,), 0),  # TF's default
])
def test_inter_op_threads(args, inter_op):
    result = configure(*args)
    assert result["inter_op"] == inter_op
    assert result["applied"] == ({"inter_op_threads": inter_op} if inter_op else {})
