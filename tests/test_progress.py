"""Progress lines: plain lines per interval in a log file, a clean redraw on a terminal."""

import io
import logging

import pytest

from ugatit_tf.progress import Phases, Progress, format_duration


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


def test_first_eta_leaves_the_start_up_out():
    """A demo run's timing (measured: 13 s of tracing and the first loop, then ~10 it/s):
    the first ETA shown is the steady one, not start-up time spread over the run."""
    stream, clock = io.StringIO(), Clock()
    progress = Progress(4500, label="step ", stream=stream, terminal=True, clock=clock)
    clock.now = 15.0  # the first loop of 10 iterations ends after the start-up
    progress.update(10)
    clock.now = 16.0
    progress.update(20)  # the next 10 in 1 s
    eta = progress.line().split("ETA ")[1]
    assert eta == "7:28", progress.line()  # 4480 iterations left at 10 it/s


def test_a_value_without_number_shows_its_name():
    stream, clock = io.StringIO(), Clock()
    progress = Progress(8, label="export ", stream=stream, interval=30, clock=clock)
    progress.update(0, [("writing the SavedModel", None)])
    assert stream.getvalue() == "export 0/8 (0%) | writing the SavedModel | 0:00 elapsed\n"


def test_phases_name_each_phase_as_it_starts_and_sum_up_the_times():
    logged, clock = [], Clock()
    phases = Phases(log=lambda fmt, *args: logged.append(fmt % args), clock=clock)
    with phases("building the networks"):
        assert logged == ["Building the networks ..."]  # shown while it runs
        clock.now = 2.0
    with phases("tracing the training step"):
        clock.now = 15.5
    assert len(logged) == 2
    assert phases.summary() == ("Start-up 15.5 s: building the networks 2.0 s, "
                                "tracing the training step 13.5 s")
