"""Progress lines: plain lines per interval in a log file, a clean redraw on a terminal."""

import io
import logging

import pytest

from ugatit_tf.progress import Progress, format_duration


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_log_file_gets_one_plain_line_per_interval():
    stream, clock = io.StringIO(), Clock()
    progress = Progress(100, label="step ", stream=stream, interval=30, clock=clock)
    for step in range(10, 101, 10):  # one update every 10 s, the first after 5 s
        clock.now = 5.0 + (step - 10)
        progress.update(step, [("D", 1.5), ("G", 20.25)])
    progress.finish()
    lines = stream.getvalue().splitlines()
    # Updates at t = 5 (first), 35, 65, 95 pass the 30 s interval; finish adds one.
    assert len(lines) == 5
    assert "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue()
    assert lines[0] == "step 10/100 (10%) | D 1.5 G 20.25 | 0:05 elapsed"
    # 90 iterations in 90 s after the first update (which includes compiling): 1 it/s.
    assert lines[1] == "step 40/100 (40%) | D 1.5 G 20.25 | 1 it/s | 0:35 elapsed, ETA 1:00"
    assert lines[-1] == "step 100/100 (100%) | D 1.5 G 20.25 | 1 it/s | 1:35 elapsed"


def test_terminal_line_is_erased_before_log_records():
    stream, clock = io.StringIO(), Clock()
    handler = logging.StreamHandler(stream)
    logging.getLogger().addHandler(handler)
    try:
        progress = Progress(10, stream=stream, terminal=True, clock=clock)
        progress.update(5)
        logging.getLogger().warning("a log line")
        progress.update(6)
        progress.finish()
    finally:
        logging.getLogger().removeHandler(handler)
    text = stream.getvalue()
    drawn = "5/10 (50%) | 0:00 elapsed"
    # Drawn, erased with spaces, then the record starts on the clean line.
    assert text.startswith("\r" + drawn + "\r" + " " * len(drawn) + "\r" + "a log line\n")
    assert text.endswith("\n") and "\x1b" not in text and "\b" not in text


def test_durations_and_bad_arguments():
    assert format_duration(75.3) == "1:15" and format_duration(3725) == "1:02:05"
    with pytest.raises(ValueError, match="-1"):
        Progress(-1)
