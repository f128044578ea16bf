"""`ugatit_tf.runtime`, in fresh processes (its settings are process-wide)."""

import json
import os
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


def test_xla_is_on_by_default_with_a_gpu_only(monkeypatch):
    from ugatit_tf import runtime

    for gpu in (True, False):
        monkeypatch.setattr(runtime, "has_gpu", lambda gpu=gpu: gpu)
        assert runtime.default_jit_compile() is gpu
        assert runtime.default_jit_compile(True) is True  # --xla
        assert runtime.default_jit_compile(False) is False  # --noxla


def test_enable_xla_cache_sets_flags_once_and_keeps_the_users(monkeypatch, tmp_path):
    from ugatit_tf import runtime

    monkeypatch.setenv("TF_XLA_FLAGS", "--tf_xla_auto_jit=0")
    monkeypatch.setenv("XLA_FLAGS", f"--xla_gpu_per_fusion_autotune_cache_dir={tmp_path}/mine")
    applied = runtime.enable_xla_cache(str(tmp_path / "cache"))
    assert applied == {"tf_xla_persistent_cache_directory": str(tmp_path / "cache")}
    expected = f"--tf_xla_auto_jit=0 --tf_xla_persistent_cache_directory={tmp_path}/cache"
    assert runtime.os.environ["TF_XLA_FLAGS"] == expected
    assert runtime.os.environ["XLA_FLAGS"].endswith("/mine")  # the user's setting wins
    assert runtime.enable_xla_cache(str(tmp_path / "cache")) == {}  # already set
    assert runtime.os.environ["TF_XLA_FLAGS"] == expected
    assert runtime.enable_xla_cache("") == {}


CACHED_COMPILE = """
import json, os, sys
from absl import app

def main(argv):  # as train.py: under absl, importing TF reads the XLA flags
    from ugatit_tf import runtime
    assert "tensorflow" not in sys.modules
    applied = runtime.enable_xla_cache(argv[1])
    import tensorflow as tf
    step = tf.function(lambda x: tf.nn.relu(x) * 2.0, jit_compile=True, autograph=False)
    print(json.dumps({"applied": sorted(applied), "value": step(tf.ones(3)).numpy().tolist(),
                      "files": sorted(os.listdir(argv[1]))}))

app.run(main)
"""


def test_xla_cache_keeps_the_compiled_program(tmp_path):
    """The flags are accepted by TF's XLA (an unknown XLA_FLAGS entry aborts the
    process), and the compiled program lands in the folder."""
    out = subprocess.run([sys.executable, "-c", CACHED_COMPILE, str(tmp_path)], check=True,
                         capture_output=True, text=True,
                         env={**os.environ, "TF_XLA_FLAGS": "", "XLA_FLAGS": ""}).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["applied"] == ["tf_xla_persistent_cache_directory",
                                 "xla_gpu_per_fusion_autotune_cache_dir"]
    assert result["value"] == [2.0, 2.0, 2.0]
    assert any(f.startswith("xla_compile_cache") for f in result["files"]), result
