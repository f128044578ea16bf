"""One training run per work dir; a dead run's lock is taken over."""

import os
import signal
import subprocess
import sys

import pytest
from apps import ROOT

from ugatit_tf.workdir_lock import LOCK_FILE, WorkdirInUseError, WorkdirLock


def test_second_holder_is_refused_with_the_first_ones_pid(tmp_path):
    with WorkdirLock(str(tmp_path)):
        with pytest.raises(WorkdirInUseError, match=f"PID {os.getpid()} on "):
            WorkdirLock(str(tmp_path)).acquire()
    # Released: the next run takes it without complaint.
    lock = WorkdirLock(str(tmp_path))
    assert lock.acquire() is None
    lock.release()


def test_lock_of_a_killed_run_is_taken_over(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from ugatit_tf.workdir_lock import "
         "WorkdirLock; WorkdirLock(sys.argv[1]).acquire(); print('held', flush=True); "
         "time.sleep(600)", str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WorkdirInUseError, match=f"PID {holder.pid}"):
            WorkdirLock(str(tmp_path)).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert (tmp_path / LOCK_FILE).read_text()  # the dead run's record is still there
    lock = WorkdirLock(str(tmp_path))
    previous = lock.acquire()  # stale: the kernel dropped the dead process's flock
    assert previous["pid"] == holder.pid
    lock.release()


def test_unwritable_work_dir(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="cannot write to the work dir"):
        WorkdirLock(str(tmp_path / "file" / "w")).acquire()
