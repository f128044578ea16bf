"""SIGTERM and SIGINT as a request to stop at the next loop boundary.

Docker, Kubernetes, Slurm and preemptible cloud machines stop a job with SIGTERM (and
SIGKILL after a grace period); Ctrl-C sends SIGINT. `StopOnSignal` turns either into a
flag that the training loop reads between compiled loops, where it saves a checkpoint
and returns. A second SIGINT stops at once (KeyboardInterrupt), for a user who does not
want to wait for the loop to end.

Why not `tf.distribute.experimental.PreemptionCheckpointHandler`: its documentation
supports MultiWorkerMirroredStrategy and TPUStrategy only; on one machine (the
"local mode" of its source) it installs the same kind of SIGTERM flag, but it also
restores the latest checkpoint itself when it is made (which would bypass the fallback
over unreadable checkpoints in `ugatit_tf.checkpoints`), adds its own counter to the
checkpoint, ignores SIGINT, and ends the process with exit code 42 after saving. Our
multi-worker runs instead agree on the flag across workers at each loop boundary
(`Trainer`), so all of them stop and save at the same step.
"""

import signal
import threading

from absl import logging

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopOnSignal:
    """A context manager: while inside, SIGTERM/SIGINT set `requested` (the signal's
    name) instead of ending the process. Outside the main thread it does nothing."""

    def __init__(self):
        self.requested = None
        self._previous = {}

    def _handle(self, signum, frame):
        name = signal.Signals(signum).name
        if self.requested == "SIGINT" and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now
        self.requested = self.requested or name
        logging.warning("Received %s: stopping after the current loop, with a checkpoint.",
                        name)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()
