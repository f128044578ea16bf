"""One training run per work dir: `<workdir>/train.lock`, held while train.py runs.

The lock is an advisory `flock` on the file, which the kernel releases when the process
ends however it ends (kill -9 included), so a lock left by a dead run is never in the
way: the next run takes it over and says so. The file holds the holder's PID, host and
start time, for the message a second run prints.
"""

import errno
import fcntl
import json
import os
import socket
import time

from ugatit_tf.app_errors import UserError

LOCK_FILE = "train.lock"


class WorkdirInUseError(UserError):
    """Another live process trains in this work dir."""


class WorkdirLock:
    """Holds `<workdir>/train.lock` from `acquire()` to `release()` (or the `with` block).

    Args:
        workdir: the training work dir (created if missing).
    """

    def __init__(self, workdir):
        self.workdir = workdir
        self.path = os.path.join(workdir, LOCK_FILE)
        self._fd = None

    def acquire(self):
        """Takes the lock; raises WorkdirInUseError when a live run holds it, and
        UserError when the work dir cannot be written.

        Returns:
            What the file said about a previous holder that ended without releasing it
            (a dict), or None.
        """
        try:
            os.makedirs(self.workdir, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise UserError(f"cannot write to the work dir {self.workdir}: {e.strerror} "
                            f"({e.filename or self.workdir}); pass a writable --workdir") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            holder = _read(fd)
            os.close(fd)
            if e.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                raise
            raise WorkdirInUseError(
                f"{self.workdir} is in use by another training run ({describe(holder)}); "
                f"wait for it to end or stop it, or pass another --workdir") from None
        previous = _read(fd)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}).encode())
        os.fsync(fd)
        self._fd = fd
        return previous or None

    def release(self):
        """Empties and unlocks the file (kept: removing it would race a new run)."""
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
        except OSError:
            pass
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()


def _read(fd):
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 4096).decode("utf-8", "replace")
        return json.loads(text) if text.strip() else {}
    except (OSError, ValueError):
        return {}


def describe(holder):
    """Words for a lock file's content, as in the messages."""
    if not holder:
        return "its PID is not recorded"
    return (f"PID {holder.get('pid')} on {holder.get('host')}, started "
            f"{holder.get('started')}")
