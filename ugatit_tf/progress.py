"""Progress for people: a line redrawn in place on a terminal, plain lines in a log file.

On a terminal the line is redrawn with a carriage return (no escape codes) and erased
before a log record is written, so log lines never break it; it comes back at the next
update. When the stream is not a terminal (a file, Docker, Slurm, nohup), one complete
line is written every `interval` seconds, and at the end. There is one speed figure,
measured from the first update on (the first update includes tracing and compiling, so
it does not count), and the ETA follows from it.
"""

import logging
import sys
import time

_active = []  # the terminal progress lines being drawn (at most one in practice)


class _EraseBeforeRecords(logging.Filter):
    def filter(self, record):
        for progress in _active:
            progress.clear()
        return True


_ERASER = _EraseBeforeRecords()


def format_duration(seconds):
    """`75.3` -> `"1:15"`, `3725` -> `"1:02:05"`."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _format_value(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class Progress:
    """Progress of `total` units (None when unknown).

    Args:
        total: units to do, or None.
        unit: the unit's name in the speed figure (`"it"` -> `"it/s"`).
        label: text before the count.
        stream: where to write (default `sys.stdout`).
        interval: seconds between lines when the stream is not a terminal.
        terminal: force the terminal / log-file behaviour (default: `stream.isatty()`).
        clock: a `time.monotonic`-like function (tests).
    """

    def __init__(self, total, unit="it", label="", stream=None, interval=30.0,
                 terminal=None, clock=time.monotonic):
        if total is not None and total < 0:
            raise ValueError(f"total must be >= 0 or None, got {total}.")
        if interval < 0:
            raise ValueError(f"interval must be >= 0, got {interval}.")
        self.total, self.unit, self.label = total, unit, label
        self.stream = stream if stream is not None else sys.stdout
        if terminal is None:
            isatty = getattr(self.stream, "isatty", None)
            terminal = bool(isatty and isatty())
        self.terminal = terminal
        self.interval, self.clock = interval, clock
        self.count = 0
        self.values = ()
        self._start = clock()
        self._first = None  # (count, time) of the first update: the speed starts there
        self._last_line = None
        self._drawn = 0  # characters of the line on the terminal
        self._finished = False

    def rate(self):
        """Units per second since the first update, or None before the second one."""
        if self._first is None:
            return None
        count, start = self._first
        elapsed = self.clock() - start
        return (self.count - count) / elapsed if elapsed > 0 and self.count > count else None

    def line(self):
        """The progress line as text."""
        parts = []
        if self.total:
            parts.append(f"{self.label}{self.count}/{self.total} "
                         f"({100 * self.count / self.total:.0f}%)")
        else:
            parts.append(f"{self.label}{self.count}")
        if self.values:  # a value None shows its name alone ("writing the SavedModel")
            parts.append(" ".join(k if v is None else f"{k} {_format_value(v)}"
                                  for k, v in self.values))
        rate = self.rate()
        times = f"{format_duration(self.clock() - self._start)} elapsed"
        if rate:
            parts.append(f"{rate:.3g} {self.unit}/s")
            if self.total and not self._finished:
                times += f", ETA {format_duration((self.total - self.count) / rate)}"
        parts.append(times)
        return " | ".join(parts)

    def update(self, count, values=()):
        """Sets the count (and the values shown, `[(name, value or None), ...]`)."""
        self.count, self.values = count, tuple(values)
        now = self.clock()
        if self._first is None:
            self._first = (count, now)
        if self.terminal:
            if self not in _active:
                _active.append(self)
                for handler in logging.getLogger().handlers:
                    handler.addFilter(_ERASER)
            self._draw()
        elif self._last_line is None or now - self._last_line >= self.interval:
            self._write_line()

    def add(self, n, values=()):
        self.update(self.count + n, values or self.values)

    def finish(self, values=(), count=None):
        """Writes the final line (always) and stops redrawing."""
        if count is not None:
            self.count = count
        if values:
            self.values = tuple(values)
        self._finished = True
        if self.terminal:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = 0
            if self in _active:
                _active.remove(self)
        else:
            self._write_line()

    def clear(self):
        """Erases the terminal line (before other output); the next update redraws it."""
        if self.terminal and self._drawn:
            self.stream.write("\r" + " " * self._drawn + "\r")
            self.stream.flush()
            self._drawn = 0

    def _draw(self):
        text = self.line()
        self.stream.write("\r" + text + " " * max(0, self._drawn - len(text)))
        self.stream.flush()
        self._drawn = len(text)

    def _write_line(self):
        self.stream.write(self.line() + "\n")
        self.stream.flush()
        self._last_line = self.clock()


class Phases:
    """Times the named start-up phases; logs each one's name when it starts (a long one,
    such as a cold XLA compile, shows what the run waits for) and all their times in
    `summary()`.

        phases = Phases()
        with phases("building the networks"):   # logs "Building the networks ..."
            ...
        phases.summary()  # "Start-up 12.3 s: building the networks 3.1 s, ..."
    """

    def __init__(self, log=logging.info, clock=time.monotonic):
        self.log, self.clock = log, clock
        self.times = []

    def __call__(self, name):
        return _Phase(self, name)

    def summary(self):
        total = sum(t for _, t in self.times)
        return f"Start-up {total:.1f} s: " + ", ".join(f"{n} {t:.1f} s" for n, t in self.times)


class _Phase:
    def __init__(self, phases, name):
        self.phases, self.name = phases, name

    def __enter__(self):
        self.phases.log("%s ...", self.name[:1].upper() + self.name[1:])
        self.start = self.phases.clock()
        return self

    def __exit__(self, *exc):
        self.phases.times.append((self.name, self.phases.clock() - self.start))
        return False
