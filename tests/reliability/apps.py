"""Running the apps as a user does (subprocesses), on a tiny config."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A tiny light model on 8 synthetic images: a train.py run takes ~15 s on 2 cores.
TINY = ["--config=configs/demo.py", "--config.model.base_filters=4",
        "--config.model.num_res_blocks=1", "--config.model.image_size=32",
        "--config.model.disc_global_layers=4", "--config.model.disc_local_layers=3",
        "--config.data.synthetic_size=8", "--config.data.shuffle_buffer=8",
        "--config.train.print_freq=1000", "--config.train.save_freq=2", "--steps_per_loop=2"]


def env():
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"),
            "CUDA_VISIBLE_DEVICES": ""}


def run(script, *args, timeout=300):
    """Runs `python <script> args` in the project root; returns the CompletedProcess."""
    return subprocess.run([sys.executable, script, *map(str, args)], cwd=ROOT, env=env(),
                          capture_output=True, text=True, timeout=timeout)


def start(script, *args, log=None):
    """Starts `python <script> args`; stderr (and stdout) go to the file `log`."""
    out = open(log, "w") if log else subprocess.DEVNULL  # the child keeps it open
    return subprocess.Popen([sys.executable, script, *map(str, args)], cwd=ROOT, env=env(),
                            stdout=out, stderr=subprocess.STDOUT)


def wait_for(condition, process=None, timeout=300, what="the condition"):
    """Polls `condition()` until true; fails if `process` ends first or time runs out."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the process ended (rc {process.returncode}) before "
                                 f"{what}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def checkpoint_steps(workdir):
    """The N of every `ckpt-N.index` in `<workdir>/checkpoints` (sorted)."""
    folder = Path(workdir) / "checkpoints"
    if not folder.is_dir():
        return []
    return sorted(int(p.name[5:-6]) for p in folder.glob("ckpt-*.index"))


def stop(process, sig=signal.SIGKILL):
    if process.poll() is None:
        process.send_signal(sig)
    return process.wait(timeout=120)


def assert_user_error(result, *fragments):
    """Exit code 2, one `<app>: error: ...` line holding `fragments`, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(lines) == 1, result.stderr[-3000:]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]
