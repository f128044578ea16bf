"""`ugatit_tf.runtime`, in fresh processes (its settings are process-wide)."""

import json
import platform
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


FRAGMENT_AND_RELEASE = """
import ctypes, json, os
from ugatit_tf import runtime

def rss_mib():
    if not os.path.exists("/proc/self/status"):  # not Linux
        return 0.0
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes, libc.free.argtypes = [ctypes.c_size_t], [ctypes.c_void_p]
blocks = [libc.malloc(1024) for _ in range(200_000)]  # ~200 MiB of small blocks
for block in blocks:
    ctypes.memset(block, 1, 1024)
for i, block in enumerate(blocks):
    if i % 64:  # keep one in 64: the free memory is in pieces, not at the heap's top
        libc.free(block)
before = rss_mib()
released = runtime.release_free_memory()
print(json.dumps({"released": released, "freed_mib": before - rss_mib()}))
"""


def test_release_free_memory_returns_fragmented_heap_to_the_os():
    out = subprocess.run([sys.executable, "-c", FRAGMENT_AND_RELEASE], check=True,
                         capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    if platform.libc_ver()[0] == "glibc":
        assert result["released"]
        assert result["freed_mib"] > 100, result
    else:  # no malloc_trim: nothing to release, and no error
        assert not result["released"]
