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
                  "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
                  "grappler": tf.config.optimizer.get_experimental_options()}))
"""


def configure(*args):
    out = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(args)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("args,inter_op,grappler_off", [
    ((), 1, False),                  # train.py's defaults on a CPU-only machine
    ((2, True), 2, True),            # --save_memory
    ((0, False), 0, False),          # TF's defaults
])
def test_cpu_settings(args, inter_op, grappler_off):
    result = configure(*args)
    assert result["inter_op"] == inter_op
    for option in ("dependency_optimization", "constant_folding"):
        assert (result["grappler"].get(option) is False) == grappler_off, option
        assert (option in result["applied"]) == grappler_off
