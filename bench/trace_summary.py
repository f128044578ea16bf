"""Summarises a TensorFlow profiler trace: where a device's time goes, and its idle gaps.

    python bench/trace_summary.py --logdir=<the profiler's log dir> --top=25

Reads the newest `*.xplane.pb` under `--logdir` (written by `tf.profiler.experimental`)
and, for each device plane (`/device:GPU:N`, or the host's TF op lines without a GPU):
the traced window, the time at least one kernel ran (the union over streams), the
idle gaps between kernels (count, total, and how much is in gaps over 100 us: host
or launch waits), and the kernels (or ops) with the most total time, grouped by name.
Imports only TensorFlow's bundled XPlane protobuf.
"""

import argparse
import collections
import glob
import json
import os
import re

LONG_GAP_PS = 100 * 10**6  # 100 us: longer than a launch, a host-side wait


def load_space(logdir):
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    paths = sorted(glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True),
                   key=os.path.getmtime)
    if not paths:
        raise FileNotFoundError(f"No *.xplane.pb under {logdir}.")
    space = xplane_pb2.XSpace()
    with open(paths[-1], "rb") as f:
        space.ParseFromString(f.read())
    return space, paths[-1]


def _intervals(plane, line_filter):
    """`[(start_ps, end_ps, name)]` of the events on the plane's matching lines."""
    out = []
    for line in plane.lines:
        if not line_filter(line.name):
            continue
        base = line.timestamp_ns * 1000
        for event in line.events:
            name = plane.event_metadata[event.metadata_id].name
            start = base + event.offset_ps
            out.append((start, start + event.duration_ps, name))
    return out


def category(name):
    """A kernel's or op's kind: the op type of `name:type`, else the name with its
    numbers dropped (`loop_add_fusion_12` -> `loop_add_fusion_#`)."""
    if ":" in name and not name.startswith("void"):
        return name.rsplit(":", 1)[1]
    return re.sub(r"[._]?\d+", "#", name)[:100]


def _ranked(intervals, key, top, busy):
    totals = collections.defaultdict(lambda: [0, 0])
    for start, end, name in intervals:
        totals[key(name)][0] += end - start
        totals[key(name)][1] += 1
    ranked = sorted(totals.items(), key=lambda item: -item[1][0])[:top]
    return [{"name": name, "ms": total / 1e9, "calls": calls,
             "fraction_of_busy": total / busy} for name, (total, calls) in ranked]


def summarize_intervals(intervals, top=20):
    """Window, busy time (union), gaps and the top names of a list of intervals."""
    if not intervals:
        return None
    intervals = sorted(intervals)
    busy, gaps, long_gaps, count = 0, 0, 0, 0
    current_start, current_end = intervals[0][:2]
    for start, end, _ in intervals[1:]:
        if start > current_end:
            busy += current_end - current_start
            gap = start - current_end
            gaps += gap
            count += 1
            long_gaps += gap if gap > LONG_GAP_PS else 0
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    busy += current_end - current_start
    window = max(end for _, end, _ in intervals) - intervals[0][0]
    ms = lambda ps: ps / 1e9  # noqa: E731
    return {
        "window_ms": ms(window), "busy_ms": ms(busy), "busy_fraction": busy / window,
        "gaps": count, "gap_ms": ms(gaps), "gaps_over_100us_ms": ms(long_gaps),
        "events": len(intervals),
        "top": _ranked(intervals, lambda name: name, top, busy),
        "top_kinds": _ranked(intervals, category, top, busy),
    }


def summarize(logdir, top=20):
    space, path = load_space(logdir)
    result = {"file": os.path.basename(path), "planes": {}}
    for plane in space.planes:
        if plane.name.startswith("/device:GPU"):
            # Kernels and copies are on the stream lines; the derived lines repeat them.
            line_filter = lambda name: name.startswith("Stream")  # noqa: E731
        elif plane.name == "/host:CPU":
            line_filter = lambda name: "TensorFlow Ops" in name or name.startswith(  # noqa: E731
                "tf_")
        else:
            continue
        summary = summarize_intervals(_intervals(plane, line_filter), top)
        if summary:
            result["planes"][plane.name] = summary
    return result


def print_summary(result):
    for plane, s in result["planes"].items():
        print(f"\n{plane}: window {s['window_ms']:.1f} ms, busy {s['busy_ms']:.1f} ms "
              f"({100 * s['busy_fraction']:.0f}%), {s['events']} events, {s['gaps']} gaps "
              f"({s['gap_ms']:.1f} ms; {s['gaps_over_100us_ms']:.1f} ms in gaps > 100 us)")
        for title, key in (("by kind", "top_kinds"), ("by name", "top")):
            print(f" {title}:")
            for t in s[key]:
                print(f"  {t['ms']:9.2f} ms {100 * t['fraction_of_busy']:5.1f}% "
                      f"{t['calls']:6d}x  {t['name'][:110]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", required=True)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--json", default="", help="also write the summary here")
    args = parser.parse_args()
    result = summarize(args.logdir, args.top)
    print_summary(result)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
