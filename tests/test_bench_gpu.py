"""The GPU benchmark's CPU-side logic: job names, utilisation windows, trace sums."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "bench"))

import gpu_bench  # noqa: E402
import trace_summary  # noqa: E402


def test_job_names_parse():
    assert gpu_bench.parse_job("pt-full-b4") == {"side": "pt", "model": "full", "batch": 4}
    spec = gpu_bench.parse_job("tf-light-xla-bf16-b16-notriton-profile")
    assert spec == {"side": "tf", "model": "light", "profile": True, "mode": "xla",
                    "dtype": "bf16", "batch": 16, "variant": "notriton", "trace_variant": ""}
    assert gpu_bench.parse_job("tf-light-graph")["mode"] == "graph"
    assert gpu_bench.parse_job("tf-full-b4-f32internals")["trace_variant"] == "f32internals"
    spec = gpu_bench.parse_job("tf-light-f64internals-nocmdbuf")
    assert (spec["trace_variant"], spec["variant"]) == ("f64internals", "nocmdbuf")
    assert gpu_bench.TRACE_VARIANTS[spec["trace_variant"]] == {"float32_statistics": False}
    assert gpu_bench.parse_job("tf-light-snconv")["trace_variant"] == "snconv"
    assert gpu_bench.parse_job("tf-light-unbatchedD")["trace_variant"] == "unbatchedD"
    assert gpu_bench.parse_job("tf-light-linunfused")["trace_variant"] == "linunfused"
    assert gpu_bench.parse_job("tf-full-unbatchedG")["trace_variant"] == "unbatchedG"
    assert gpu_bench.parse_job("tf-light-nograppler")["trace_variant"] == "nograppler"
    assert gpu_bench.parse_job("tf-full-matmulkernelgrad")["trace_variant"] == "matmulkernelgrad"
    for bad in ("tf-light-xla-f64", "jax-light", "tf-medium"):
        with pytest.raises(ValueError):
            gpu_bench.parse_job(bad)


def test_trace_variants_set_only_switches_the_job_applies(tmp_path):
    """Each trace variant's keys are switches `run_tf_job` applies: a task switch must be
    a boolean class attribute of the task, a trainer switch an attribute the Trainer
    sets (a typo would set a new, unused attribute)."""
    from train_rows import trainer_on_constant_batch

    from ugatit_tf.tasks.ugatit import UGATITTask

    applied_elsewhere = {"float32_statistics", "matmul_conv_devices", "convs_as_matmul",
                         "max_filters", "fused_layer_instance_norm", "grappler"}
    for name, options in gpu_bench.TRACE_VARIANTS.items():
        for key in options:
            assert key in applied_elsewhere or key in gpu_bench.TASK_SWITCHES + \
                gpu_bench.TRAINER_SWITCHES, (name, key)
    for switch in gpu_bench.TASK_SWITCHES:
        assert isinstance(getattr(UGATITTask, switch, None), bool), switch
    trainer, _, _ = trainer_on_constant_batch(None, str(tmp_path), 1, model=(True, 4, 96))
    for switch in gpu_bench.TRAINER_SWITCHES:
        assert isinstance(getattr(trainer, switch, None), bool), switch
    gpu_bench.set_switches(trainer, gpu_bench.TRACE_VARIANTS["matmulkernelgrad"])
    assert trainer.fuse_kernel_gradients is False


def test_every_xla_flag_variant_parses():
    """XLA parses XLA_FLAGS at its first compile and aborts the process on a value it
    does not know (the fifth lease lost a job to `--xla_gpu_enable_command_buffer=
    +CONVOLUTION`, which TF 2.21's XLA has no such type for). The CPU build parses the
    GPU flags too, so each variant is checked here, in a subprocess of its own."""
    import subprocess

    program = ("import tensorflow as tf\n"
               "print(float(tf.function(lambda x: 2 * x, jit_compile=True)"
               "(tf.constant(1.0))))")
    procs = {name: subprocess.Popen(  # side by side: each is mostly TF's import
        [sys.executable, "-c", program], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, "XLA_FLAGS": flag, "TF_CPP_MIN_LOG_LEVEL": "2"})
        for name, flag in gpu_bench.VARIANTS.items()}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0 and out.strip() == "2.0", (name, err[-2000:])


def test_parallel_jobs_wait_for_go_and_other_processes(tmp_path):
    """A parallel job says it is ready and waits for the driver's `go`; the driver's
    `--wait_pids` counts a process as ended once it has exited (a zombie included)."""
    import subprocess
    import threading

    waiter = threading.Thread(target=gpu_bench._wait_for_turn,
                              args=(str(tmp_path), "tf-light", 0.01))
    waiter.start()
    waiter.join(timeout=0.5)
    assert waiter.is_alive(), "returned before the driver's go"
    assert (tmp_path / "tf-light.ready").exists()
    (tmp_path / "go").touch()
    waiter.join(timeout=5)
    assert not waiter.is_alive(), "still waiting after go"

    assert gpu_bench._running(os.getpid())
    import time

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while gpu_bench._running(child.pid) and time.monotonic() < deadline:
        time.sleep(0.01)  # it exits, then stays a zombie until waited for
    assert not gpu_bench._running(child.pid), "a zombie counted as running"
    child.wait()
    assert not gpu_bench._running(child.pid)


def test_utilisation_is_averaged_inside_the_window_only():
    import datetime

    def line(second, value):
        when = datetime.datetime(2026, 1, 1, 0, 0, second)
        return f"{when.strftime('%Y/%m/%d %H:%M:%S.%f')[:-3]}, {value}, 1000"

    text = "\n".join([line(0, 5), line(1, 80), line(2, 90), line(3, 7), "garbage"])
    start = datetime.datetime(2026, 1, 1, 0, 0, 1).timestamp()
    end = datetime.datetime(2026, 1, 1, 0, 0, 2).timestamp()
    assert gpu_bench.mean_in_window(text, start, end) == 85
    assert gpu_bench.mean_in_window(text, end + 10, end + 20) is None


def test_trace_busy_time_is_the_union_of_overlapping_kernels():
    ps = 10**9  # 1 ms in picoseconds
    intervals = [(0, 2 * ps, "conv_1"), (1 * ps, 3 * ps, "add_fusion_7"),  # overlap: 3 ms
                 (3 * ps + 10**6, 4 * ps, "conv_2"),  # a 1 us gap, then ~1 ms
                 (6 * ps, 7 * ps, "conv_1")]  # a 2 ms gap (> 100 us), 1 ms
    summary = trace_summary.summarize_intervals(intervals)
    assert summary["window_ms"] == pytest.approx(7.0)
    assert summary["busy_ms"] == pytest.approx(4.999)
    assert summary["gaps"] == 2
    assert summary["gaps_over_100us_ms"] == pytest.approx(2.0)
    kinds = {t["name"]: t["ms"] for t in summary["top_kinds"]}
    assert kinds == pytest.approx({"conv#": 3.999, "add_fusion#": 2.0})
    assert trace_summary.category("MatMul_1:_MklMatMul") == "_MklMatMul"


def test_logged_training_rate_is_read_back_by_step(tmp_path):
    import tensorboard_rate
    import tensorflow as tf

    writer = tf.summary.create_file_writer(str(tmp_path / "tensorboard"))
    with writer.as_default():
        for step, rate in [(20, 1.0), (10, 0.5), (30, 4.0), (40, 3.0), (50, 5.0)]:
            tf.summary.scalar("iterations_per_second", rate, step=step)
            tf.summary.scalar("loss/G_loss", 99.0, step=step)  # not a rate
    writer.flush()
    rates = tensorboard_rate.logged_rates(str(tmp_path))
    assert [s for s, _ in rates] == [10, 20, 30, 40, 50]
    # skipping the first two by step (0.5 and 1.0, start-up): median of 4, 3, 5
    assert tensorboard_rate.median_rate(rates, skip=2) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="none left"):
        tensorboard_rate.median_rate(rates, skip=5)


def test_tf_jobs_stop_early_when_tensorflow_is_not_importable(monkeypatch):
    import importlib.util

    from absl import app

    specs = [gpu_bench.parse_job("pt-light-b1"), gpu_bench.parse_job("tf-light-xla-f32-b1")]
    gpu_bench.check_tensorflow_importable(specs)  # importable here
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "keras" else real_find_spec(name, *a))
    with pytest.raises(app.UsageError, match="keras not importable.*env.sh"):
        gpu_bench.check_tensorflow_importable(specs)
    gpu_bench.check_tensorflow_importable(specs[:1])  # the official code alone needs neither


def test_unknown_check_runs_stop_before_any_job():
    import subprocess

    script = os.path.join(os.path.dirname(gpu_bench.__file__), "gpu_bench.py")
    proc = subprocess.run([sys.executable, script, "--jobs=check",
                           "--check_runs=gpu_xla_tf32,gpu_xla_tf33"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "unknown ['gpu_xla_tf33']" in proc.stderr + proc.stdout
    assert "--- check" not in proc.stdout  # rejected before the job started


def test_check_runs_use_the_timed_variants_switches():
    """The loss check runs a variant under the switch its timed job uses, not a copy."""
    for name, (tf32, variant) in gpu_bench.CHECK_GPU_RUNS.items():
        assert isinstance(tf32, bool), name
        if variant:
            assert variant in gpu_bench.TRACE_VARIANTS, name


def test_trace_switches_enter_the_variants_layer_switches():
    """The timed jobs and the loss check trace under one helper's switches."""
    from ugatit_tf.layers import normalization, windows_matmul

    default = windows_matmul._SWITCH.value
    with gpu_bench.trace_switches(gpu_bench.TRACE_VARIANTS["matmulheads"]):
        assert windows_matmul._SWITCH.value == (("GPU",), 1)
    assert windows_matmul._SWITCH.value == default
    with gpu_bench.trace_switches(gpu_bench.TRACE_VARIANTS["linunfused"]):
        assert normalization._FUSED_LIN.value is False
