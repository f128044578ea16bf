"""Drops TensorFlow's known harmless log lines from an app's stderr; keeps everything else.

TensorFlow's C++ runtime writes some lines at the E (error) level that are not errors,
such as Grappler's "remapper failed" on every training run (an optimisation pass that
gives up on one pattern; the graph still runs, unfused), and start-up notices. No TF
setting hides one message only (`TF_CPP_MIN_LOG_LEVEL=3` would hide the real errors
too), so `install` routes file descriptor 2 through a small filter process that drops
lines matching `HARMLESS` and passes every other byte on. A separate process, not a
thread: when the app dies (a crash, kill -9) the filter still drains and prints what the
app wrote last.

Run as a script, this file is the filter.
"""

import atexit
import os
import re
import subprocess
import sys

# Each pattern is matched against one whole line; keep them precise.
HARMLESS = (
    # Grappler gives up on fusing one pattern and runs the graph unfused.
    r"^E\d{4} .*meta_optimizer\.cc:\d+\] remapper failed: ",
    r"^WARNING: All log messages before absl::InitializeLog\(\) is called are written to "
    r"STDERR$",
    r"^I\d{4} .*port\.cc:\d+\] oneDNN custom operations are on\. ",
    r"^I\d{4} .*cpu_feature_guard\.cc:\d+\] This TensorFlow binary is optimized to use ",
    r"^To enable the following instructions: .* rebuild TensorFlow with the appropriate "
    r"compiler flags\.$",
    r"^W\d{4} .*dataset\.cc:\d+\] Input of GeneratorDatasetOp::Dataset will not be "
    r"optimized because the dataset does not implement the AsGraphDefInternal\(\) method",
    r"^I\d{4} .*generator_dataset_op\.cc:\d+\] Memory patch applied: ",
    r"^I\d{4} .*functional_saver\.py:\d+\] Sharding callback duration: ",
    # uint8 ops (the serving signatures) on oneDNN builds run on the Eigen kernels.
    r"^E\d{4} .*util\.cc:\d+\] oneDNN supports DT_UINT8 only on platforms with AVX-512\. "
    r"Falling back to the default Eigen-based implementation if present\.$",
    # The TFLite converter on every conversion: options of the TF1 API it ignores, and
    # the TFLite runtime (the export's check of each file) naming its CPU delegate.
    r"^W\d{4} .*tf_tfl_flatbuffer_helpers\.cc:\d+\] Ignored (output_format|"
    r"drop_control_dependency)\.$",
    r"^INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.$",
    # GPU builds: plugins registered twice at import time.
    r"^E\d{4} .*Unable to register cu(DNN|FFT|BLAS) factory: ",
    r"^E\d{4} .*computation_placer\.cc:\d+\] computation placer already registered\.",
)

_state = {}


def _filter(source_fd, sink_fd, patterns):
    """Copies lines from `source_fd` to `sink_fd`, dropping those matching `patterns`."""
    harmless = re.compile("|".join(f"(?:{p})" for p in patterns))
    pending = b""
    while True:
        chunk = os.read(source_fd, 65536)
        if not chunk:
            break
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        kept = [line for line in lines
                if not harmless.search(line.decode("utf-8", "replace").rstrip("\r"))]
        if kept:
            os.write(sink_fd, b"\n".join(kept) + b"\n")
        if pending and b"\r" in pending:  # progress bars redraw without a newline
            os.write(sink_fd, pending)
            pending = b""
    if pending:
        os.write(sink_fd, pending)


def install(patterns=HARMLESS):
    """Routes this process's fd 2 through the filter; returns whether it did.

    Does nothing (returns False) when stderr is not a file descriptor (an in-process
    test capture) or the filter is already installed.
    """
    if _state:
        return False
    try:
        stderr_fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    sys.stderr.flush()
    original = os.dup(stderr_fd)
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-I", os.path.abspath(__file__), *patterns], stdin=read_end,
        stdout=original, stderr=original, close_fds=True)
    os.close(read_end)
    os.dup2(write_end, stderr_fd)
    os.close(write_end)
    _state.update(process=process, original=original, fd=stderr_fd)
    atexit.register(uninstall)
    return True


def uninstall():
    """Restores the original stderr and waits for the filter to print what it holds."""
    if not _state:
        return
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os.dup2(_state["original"], _state["fd"])  # closes the pipe's last write end
    try:
        _state["process"].wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    os.close(_state["original"])
    _state.clear()


if __name__ == "__main__":
    _filter(0, 1, sys.argv[1:])
