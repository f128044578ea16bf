"""The training step on a GPU, timed side by side with the official PyTorch code (issue 17).

    . .carry/gpu/env.sh   # on the project's GPU machine: TensorFlow's path (../shared/gpu)
    python3 bench/gpu_bench.py --output=$OUT/gpu_bench.json --profile_dir=$OUT/trace

Each job runs in its own subprocess, one at a time, so that each has the GPU to itself
and its peak memory is its own:
- `pt-<light|full>-b<N>`: the official iteration (bench/official_step.py; the official
  `networks.py` is imported there only), with the machine's own torch
  (`env -u PYTHONPATH python3`, `--pt_python`).
- `tf-<light|full>-<xla|graph>-<f32|bf16>-b<N>[-profile]`: the real compiled loop of
  `ugatit_tf.trainer.Trainer` (OneDeviceStrategy on the GPU) on one constant batch,
  as bench/train_bench.py times it on the CPU; `xla` is the GPU default of train.py,
  with the XLA cache of `ugatit_tf.runtime.enable_xla_cache` in `--cache_dir` (the
  same job twice: a cold, then a warm start); `-profile` also traces 3 iterations with
  the TF profiler and summarises the trace (bench/trace_summary.py).
- a `-notriton` / `-noautotune` / `-nhwc` / `-graph1` / `-nocmdbuf` / `-heroless` part adds
  `VARIANTS`' XLA flag to a TF job (tests/test_bench_gpu.py checks that TF's XLA
  parses each: an unknown value aborts the job at its first compile);
  `-f32internals` / `-f64internals` are train.py's `--float32_statistics` /
  `--nofloat32_statistics` (float32 or float64 normalisation arithmetic; without
  either, the Trainer's default for the device: float32 on a GPU);
  `-snconv` traces the step with `spectral_norm.matmul_conv_devices("CPU")` (cuDNN's
  convs where the default takes the windows matmul on GPUs too; the fourth lease's
  `-snmatmul` was today's default),
  `-unbatchedD` with the D update's real and fake discriminator calls apart,
  `-linunfused` with `normalization.fused_layer_instance_norm(False)` (LIN and AdaLIN
  as the composition of two `normalize` and `affine_mix`, before their one-pass form),
  `-unbatchedG` with each generator's translation and identity calls apart,
  `-matmulconvs` with every conv that `windows_matmul.takes_matmul` as a matmul of its
  input windows on the GPU (`windows_matmul.convs_as_matmul("GPU")`: no cuDNN calls
  left to split XLA's command buffers but the generators' 7x7 heads),
  `-matmulheads` with only the convs to one channel so, the discriminators' heads
  (`convs_as_matmul("GPU", max_filters=1)`: cuDNN's `*_wo_smem` kernels in the profile),
  `-matmulkernelgrad` with the full generator's stacked MLP kernel gradient as a matmul
  (`Trainer.fuse_kernel_gradients` off), not the sum of outer products that XLA fuses
  into the optimizer's update (`gradients.outer_product_kernel_gradients`),
  `-nograppler` with TF's graph optimiser (grappler) off for the process (XLA then
  converts the step as traced; on the CPU that took 7 s off a warm start:
  bench/startup_bench.py, bench/RESULTS.md).
- `check`: the float32 step's losses on the GPU (XLA, with and without TF32, and with
  TF32 under both windows-matmul switches and `matmulkernelgrad`) against the CPU
  step's (train.py's CPU default), from the same weights and batch; `--check_runs`
  picks some of the GPU runs (a cold compile each: two took 297 s in the ninth lease),
  `--check_model=full` checks the full model (its stacked MLP kernel gradient).

`--parallel_jobs` are TF jobs started all at once: they trace and compile side by
side (a cold compile is mostly single-threaded compilation and autotuning, minutes
each), wait until every one has run its first iteration, then take turns for the
timed part (a lock file), so that each is timed with the GPU and the CPUs to itself.
Their start-up is then that of a compile shared with the others (marked `*`). They run
before `--jobs`. Each process keeps the GPU memory it grew to (autotuning takes 18 GiB
light, 24 GiB full, at 256 px) until it ends: with four such processes holding memory,
a batch-4 job could not instantiate its CUDA graphs (bench/RESULTS.md, third lease).

Reported: ms/iter (median of timed loop calls), images/s (4 per batch element and
iteration: real A and B in, their translations out), peak GPU memory after start-up
(TF: `get_memory_info` peak, reset after the first iteration; PT:
`max_memory_allocated`, which includes its first iteration) and during start-up,
start-up (process start to the end of the first iteration: imports, build, trace,
compile, autotuning), the GPU's utilisation sampled by `nvidia-smi` during the timed
loop, and the process's CPU time per iteration in it (`host_cpu_ms_per_iter`, all
threads: near the ms/iter or above, the host may be what the GPU waits for). Jobs
run in the given order until `--budget_s` is spent; the table is printed at the end
and written to `--output`.
"""

import time

_PROCESS_START = time.perf_counter()

import contextlib  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

from absl import app, flags  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

MODELS = ("light", "full")
DTYPES = {"f32": "float32", "bf16": "mixed_bfloat16"}
# Job variants with extra XLA flags (each with its own cache folder).
VARIANTS = {"notriton": "--xla_gpu_enable_triton_gemm=false",
            "noautotune": "--xla_gpu_autotune_level=0",
            "nhwc": "--xla_gpu_force_conv_nhwc=true",
            "graph1": "--xla_gpu_graph_min_graph_size=1",
            "nocmdbuf": "--xla_gpu_enable_command_buffer=",
            "heroless": "--xla_gpu_experimental_enable_triton_heroless_priority_fusion=true"}
# Job variants that trace the step differently: the Trainer's `float32_statistics`
# (train.py --float32_statistics / --nofloat32_statistics; neither: its default), and
# cuDNN's convs instead of the spectral-norm convs' windows matmul on GPUs (`snconv`), each
# discriminator's real and fake calls of the D update as two calls (`unbatchedD`,
# `UGATITTask.batch_discriminator_calls` off), LIN and AdaLIN composed as before their
# one-pass `layer_instance_norm` (`linunfused`), each generator's translation and
# identity calls apart (`unbatchedG`, `UGATITTask.batch_translations` off),
# grappler off (`nograppler`), convs as windows matmuls on the GPU (`matmulconvs`; only
# the discriminators' heads: `matmulheads`), the full generator's MLP kernel gradient
# as a matmul (`matmulkernelgrad`, `Trainer.fuse_kernel_gradients` off).
TRACE_VARIANTS = {"f32internals": {"float32_statistics": True},
                  "f64internals": {"float32_statistics": False},
                  "snconv": {"matmul_conv_devices": ("CPU",)},
                  "unbatchedD": {"batch_discriminator_calls": False},
                  "linunfused": {"fused_layer_instance_norm": False},
                  "unbatchedG": {"batch_translations": False},
                  "nograppler": {"grappler": False},
                  "matmulconvs": {"convs_as_matmul": ("GPU",)},
                  "matmulheads": {"convs_as_matmul": ("GPU",), "max_filters": 1},
                  "matmulkernelgrad": {"fuse_kernel_gradients": False}}
# The trace variants' keys that are `UGATITTask` class switches (set on the task) and
# `Trainer` attributes (set on the trainer).
TASK_SWITCHES = ("batch_discriminator_calls", "batch_translations")
TRAINER_SWITCHES = ("fuse_kernel_gradients",)
DEFAULT_JOBS = ["pt-light-b1", "tf-light-xla-f32-b1-profile", "tf-light-xla-f32-b1",
                "tf-light-graph-f32-b1", "pt-full-b1", "tf-full-xla-f32-b1",
                "tf-light-xla-bf16-b1", "check", "tf-light-xla-f32-b4", "pt-light-b4",
                "tf-light-xla-f32-b16", "pt-light-b16", "tf-full-xla-bf16-b1"]

FLAGS = flags.FLAGS
flags.DEFINE_list("jobs", DEFAULT_JOBS, "Jobs in order (see the module docstring).")
flags.DEFINE_list("parallel_jobs", [], "TF jobs compiled side by side, then timed one at "
                  "a time, before --jobs.")
flags.DEFINE_float("parallel_compile_s", 420, "Parallel jobs not through their first "
                   "iteration by then are stopped.")
flags.DEFINE_list("wait_pids", [], "Processes (e.g. run beside the parallel compiles) that "
                  "must have ended before the parallel jobs' timed parts start.")
flags.DEFINE_integer("ch", 64, "Base channels (official --ch) of every job.")
flags.DEFINE_integer("size", 256, "Image size (official --img_size) of every job.")
flags.DEFINE_integer("steps", 20, "Iterations per timed call.")
flags.DEFINE_integer("repeats", 3, "Timed calls.")
flags.DEFINE_float("budget_s", 540, "Start no job after this many seconds.")
flags.DEFINE_string("cache_dir", os.path.join(tempfile.gettempdir(), "ugatit_xla_cache"),
                    "The XLA cache of the TF jobs ('' for none).")
flags.DEFINE_string("output", "", "JSON results file.")
flags.DEFINE_string("profile_dir", "", "Where `-profile` jobs write their traces.")
flags.DEFINE_list("pt_python", ["env", "-u", "PYTHONPATH", "python3"],
                  "Command that runs the official code's Python (with torch).")
flags.DEFINE_string("pt_device", "cuda", "torch device of the official code.")
flags.DEFINE_string("xla_flags", "", "Extra XLA_FLAGS for the TF jobs.")
flags.DEFINE_list("check_runs", [], "The `check` job's GPU runs (`CHECK_GPU_RUNS`' names); "
                  "empty: all of them. The CPU reference always runs.")
flags.DEFINE_enum("check_model", "light", ["light", "full"], "The `check` job's model "
                  "(`CHECK_MODELS`).")
flags.DEFINE_string("child", None, "Internal: run one TF job in this process.")
flags.DEFINE_string("child_profile_dir", "", "Internal.")
flags.DEFINE_string("child_barrier", "", "Internal: the parallel jobs' shared folder.")


def parse_job(job):
    """`{"side", "model", "batch", "mode", "dtype", "profile"}` of a job name."""
    if job == "check":
        return {"side": "check"}
    parts = job.split("-")
    spec = {"side": parts[0], "model": parts[1], "profile": "profile" in parts,
            "mode": "xla", "dtype": "f32", "batch": 1, "variant": "", "trace_variant": ""}
    for part in parts[2:]:
        if part in VARIANTS:
            spec["variant"] = part
        elif part in TRACE_VARIANTS:
            spec["trace_variant"] = part
        elif part in ("xla", "graph"):
            spec["mode"] = part
        elif part in DTYPES:
            spec["dtype"] = part
        elif part.startswith("b") and part[1:].isdigit():
            spec["batch"] = int(part[1:])
        elif part != "profile":
            raise ValueError(f"Unknown part {part!r} of job {job!r}.")
    if spec["side"] not in ("pt", "tf") or spec["model"] not in MODELS:
        raise ValueError(f"Unknown job {job!r}: see bench/gpu_bench.py's docstring.")
    if spec["side"] == "pt":  # the official code has one mode
        spec = {k: spec[k] for k in ("side", "model", "batch")}
    return spec


# ---- TF side (child processes) -------------------------------------------------------

def _gpu_memory_gib(tf, device):
    return tf.config.experimental.get_memory_info(device)["peak"] / 2**30


def trace_switches(options):
    """The layer switches of a `TRACE_VARIANTS` entry, as one context to trace the step
    in (the Trainer's and the task's switches are set on them instead)."""
    from ugatit_tf.layers import normalization, spectral_norm, windows_matmul

    switches = contextlib.ExitStack()
    if "matmul_conv_devices" in options:
        switches.enter_context(spectral_norm.matmul_conv_devices(*options["matmul_conv_devices"]))
    if "convs_as_matmul" in options:
        switches.enter_context(windows_matmul.convs_as_matmul(
            *options["convs_as_matmul"], max_filters=options.get("max_filters")))
    if "fused_layer_instance_norm" in options:
        switches.enter_context(
            normalization.fused_layer_instance_norm(options["fused_layer_instance_norm"]))
    return switches


def set_switches(trainer, options):
    """Sets a `TRACE_VARIANTS` entry's task and trainer switches, before the trace."""
    for switch in TASK_SWITCHES:
        if switch in options:
            setattr(trainer.task, switch, options[switch])
    for switch in TRAINER_SWITCHES:
        if switch in options:
            setattr(trainer, switch, options[switch])


def run_tf_job(spec):
    """Times our step for one job in this process; prints `RESULT {json}`."""
    if spec["mode"] == "xla" and FLAGS.cache_dir:
        from ugatit_tf import runtime

        runtime.enable_xla_cache(FLAGS.cache_dir)  # before TF is imported
    import keras
    import tensorflow as tf
    from train_rows import trainer_on_constant_batch

    from ugatit_tf import runtime

    runtime.configure_runtime()
    on_gpu = runtime.has_gpu()
    device, memory_device = ("/gpu:0", "GPU:0") if on_gpu else ("/cpu:0", None)
    keras.mixed_precision.set_global_policy(DTYPES[spec["dtype"]])
    light, ch, size = spec["model"] == "light", FLAGS.ch, FLAGS.size
    options = TRACE_VARIANTS.get(spec["trace_variant"], {})
    traced_with = trace_switches(options)
    if options.get("grappler") is False:
        tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    with tempfile.TemporaryDirectory() as workdir:
        trainer, iterator, _ = trainer_on_constant_batch(
            None, workdir, FLAGS.steps, jit_compile=spec["mode"] == "xla", device=device,
            batch=spec["batch"], model=(light, ch, size),
            float32_statistics=options.get("float32_statistics"))
        set_switches(trainer, options)
        loop = lambda n: trainer._loop(iterator, tf.constant(n))  # noqa: E731
        built = time.perf_counter()
        with traced_with:  # the loop is traced here; later calls reuse it
            trainer.prepare(iterator)
            metrics, _ = loop(1)
        float(metrics["G_loss"])
        first = time.perf_counter()
        startup_peak = _gpu_memory_gib(tf, memory_device) if on_gpu else None
        if FLAGS.child_barrier:
            _wait_for_turn(FLAGS.child_barrier, FLAGS.child)
        if on_gpu:
            tf.config.experimental.reset_memory_stats(memory_device)
        times = []
        timed_from, cpu_from = time.time(), time.process_time()
        for _ in range(FLAGS.repeats):
            start = time.perf_counter()
            metrics, finite = loop(FLAGS.steps)
            float(metrics["G_loss"])  # waits for the loop
            times.append((time.perf_counter() - start) / FLAGS.steps)
        timed_to, cpu_to = time.time(), time.process_time()
        peak = _gpu_memory_gib(tf, memory_device) if on_gpu else None
        trace = None
        if FLAGS.child_profile_dir:
            import trace_summary

            tf.profiler.experimental.start(FLAGS.child_profile_dir)
            metrics, _ = loop(3)
            float(metrics["G_loss"])
            tf.profiler.experimental.stop()
            trace = trace_summary.summarize(FLAGS.child_profile_dir, top=15)
            trace_summary.print_summary(trace)
    ms = 1000 * statistics.median(times)
    print("RESULT " + json.dumps({
        "ms_per_iter": ms, "ms_per_iter_min": 1000 * min(times),
        "images_per_s": 4 * spec["batch"] * 1000 / ms,
        "startup_s": first - _PROCESS_START, "compile_s": first - built,
        "host_cpu_ms_per_iter": 1000 * (cpu_to - cpu_from) / (FLAGS.repeats * FLAGS.steps),
        "peak_gib": peak, "startup_peak_gib": startup_peak,
        "finite": bool(finite), "timed_window": [timed_from, timed_to],
        "device": device, "tensorflow": tf.__version__,
        "float32_statistics": trainer.float32_statistics,
        "parallel": bool(FLAGS.child_barrier),
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "tf_xla_flags": os.environ.get("TF_XLA_FLAGS", ""), "trace": trace}), flush=True)


def _wait_for_turn(folder, job, poll_s=0.2):
    """A parallel job, through its first iteration: says so (`<job>.ready`), waits for
    the driver's `go` (every job ready or stopped), then for the lock that lets one job
    at a time run its timed part. The lock's descriptor is never closed: the kernel
    releases it when the process has exited, so that the next job is not timed beside
    this one's teardown (which made it 1.6x slower on 2 CPU cores)."""
    import fcntl

    open(os.path.join(folder, f"{job}.ready"), "w").close()
    while not os.path.exists(os.path.join(folder, "go")):
        time.sleep(poll_s)
    fcntl.flock(os.open(os.path.join(folder, "lock"), os.O_RDWR | os.O_CREAT), fcntl.LOCK_EX)


# (light, ch, size) by --check_model: ch 16, 128 px is a few seconds per step on the CPU.
CHECK_MODELS = {"light": (True, 16, 128), "full": (False, 16, 128)}
CHECK_STEPS = 3
# The GPU's XLA steps: name -> (TF32, the trace variant whose layer switches
# (`trace_switches`) it runs under, "" for none).
CHECK_GPU_RUNS = {"gpu_xla_tf32": (True, ""), "gpu_xla_fp32": (False, ""),
                  "gpu_xla_tf32_matmulconvs": (True, "matmulconvs"),
                  "gpu_xla_tf32_matmulheads": (True, "matmulheads"),
                  "gpu_xla_tf32_matmulkernelgrad": (True, "matmulkernelgrad")}


def run_check():
    """Losses of CHECK_STEPS iterations on the CPU (graph step) and on the GPU (the XLA
    step of each `CHECK_GPU_RUNS` entry, or of those `--check_runs` names) from the same
    weights and batch; prints `RESULT {json}`."""
    if FLAGS.cache_dir:
        from ugatit_tf import runtime

        runtime.enable_xla_cache(FLAGS.cache_dir)
    import numpy as np
    import tensorflow as tf
    from train_rows import trainer_on_constant_batch

    from ugatit_tf import runtime

    runtime.configure_runtime()
    on_gpu = runtime.has_gpu()
    runs = {"cpu_graph": ("/cpu:0", False, True, "")}  # name -> (device, XLA, TF32, variant)
    if on_gpu:
        runs.update((k, ("/gpu:0", True, tf32, variant))
                    for k, (tf32, variant) in CHECK_GPU_RUNS.items()
                    if not FLAGS.check_runs or k in FLAGS.check_runs)
    losses = {}
    with tempfile.TemporaryDirectory() as workdir:
        weights = os.path.join(workdir, "initial")
        for i, (name, (device, xla, tf32, variant)) in enumerate(runs.items()):
            options = TRACE_VARIANTS.get(variant, {})
            tf.config.experimental.enable_tensor_float_32_execution(tf32)
            trainer, iterator, _ = trainer_on_constant_batch(
                None, os.path.join(workdir, name), 1, jit_compile=xla, device=device,
                model=CHECK_MODELS[FLAGS.check_model])
            set_switches(trainer, options)
            if i == 0:
                trainer.checkpoint.write(weights)
            else:
                trainer.checkpoint.read(weights).assert_existing_objects_matched()
            steps = []
            for _ in range(CHECK_STEPS):
                with trace_switches(options):  # read when the loop is traced
                    metrics, _ = trainer._loop(iterator, tf.constant(1))
                steps.append({k: float(v) for k, v in metrics.items()})
            losses[name] = steps
    reference = losses["cpu_graph"]
    relative = {
        name: max(abs(s[k] - r[k]) / max(abs(r[k]), 1e-12)
                  for s, r in zip(steps, reference) for k in r)
        for name, steps in losses.items() if name != "cpu_graph"}
    print("RESULT " + json.dumps({"model": CHECK_MODELS[FLAGS.check_model],
                                  "steps": CHECK_STEPS,
                                  "losses": losses, "max_relative_difference": relative,
                                  "finite": bool(np.all([np.isfinite(list(s.values()))
                                                         for v in losses.values()
                                                         for s in v]))}), flush=True)


# ---- driver --------------------------------------------------------------------------

def check_tensorflow_importable(specs):
    """Stops before any job runs when TF jobs are asked for and TensorFlow or Keras is not
    importable (the sixth lease lost a call to this: every TF job failed on `import keras`
    after the official job had run, because TF's environment was not sourced)."""
    import importlib.util

    if not any(spec["side"] in ("tf", "check") for spec in specs):
        return
    missing = [m for m in ("tensorflow", "keras") if importlib.util.find_spec(m) is None]
    if missing:
        raise app.UsageError(
            f"{' and '.join(missing)} not importable by {sys.executable}: on the GPU "
            "machine, source TensorFlow's environment first (`. .carry/gpu/env.sh`, "
            "../shared/gpu/README.md), or run only pt- jobs.")


class UtilisationSampler:
    """`nvidia-smi` sampled every 100 ms in the background, read back by time window."""

    def __init__(self, path):
        self.path = path
        self.proc = None
        if shutil.which("nvidia-smi"):
            self.file = open(path, "w")
            self.proc = subprocess.Popen(
                ["nvidia-smi", "--query-gpu=timestamp,utilization.gpu,memory.used",
                 "--format=csv,noheader,nounits", "-lms", "100"], stdout=self.file,
                stderr=subprocess.DEVNULL)

    def mean_utilisation(self, window):
        if self.proc is None or not window:
            return None
        self.file.flush()
        return mean_in_window(open(self.path).read(), *window)

    def close(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait()
            self.file.close()


def mean_in_window(csv_text, start, end):
    """Mean utilisation (%) of the `timestamp, utilization, memory` lines between the
    Unix times `start` and `end`; None if no sample falls in it."""
    values = []
    for line in csv_text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        try:
            when = datetime.datetime.strptime(parts[0], "%Y/%m/%d %H:%M:%S.%f").timestamp()
            value = float(parts[1])
        except (ValueError, IndexError):
            continue
        if start <= when <= end:
            values.append(value)
    return statistics.mean(values) if values else None


def _result(proc):
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode or not lines:
        tail = "\n".join(proc.stderr.splitlines()[-25:])
        return {"error": f"exit {proc.returncode}: {tail[-3000:]}"}
    return json.loads(lines[-1][len("RESULT "):])


def job_command(job, spec):
    """`(command, env)` that runs one job in a subprocess."""
    env = dict(os.environ)
    extra = " ".join(x for x in (FLAGS.xla_flags, VARIANTS.get(spec.get("variant"), ""))
                     if x)
    if extra:
        env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} {extra}".strip()
    cache_dir = FLAGS.cache_dir
    if cache_dir and spec.get("variant"):
        cache_dir = os.path.join(cache_dir, spec["variant"])
    if spec["side"] == "pt":
        light, ch, size = spec["model"] == "light", FLAGS.ch, FLAGS.size
        cmd = [*FLAGS.pt_python, os.path.join(HERE, "official_step.py"),
               f"--device={FLAGS.pt_device}", f"--light={int(light)}", f"--ch={ch}",
               f"--size={size}",
               f"--batch={spec['batch']}", f"--steps={FLAGS.steps}",
               f"--repeats={FLAGS.repeats}"]
    else:
        cmd = [sys.executable, os.path.abspath(__file__), f"--child={job}",
               f"--steps={FLAGS.steps}", f"--repeats={FLAGS.repeats}", f"--ch={FLAGS.ch}",
               f"--size={FLAGS.size}", f"--cache_dir={cache_dir}"]
        if spec.get("profile") and FLAGS.profile_dir:
            cmd.append(f"--child_profile_dir={os.path.join(FLAGS.profile_dir, job)}")
    return cmd, env


def finish_result(job, spec, proc, wall_s, sampler):
    """The job's result dict from its finished process (`returncode`, `stdout`,
    `stderr`), its printed lines echoed."""
    result = {"job": job, **_result(proc), **spec, "wall_s": wall_s}
    if spec["side"] == "pt" and "error" not in result:
        result["timed_window"] = None  # PT's timed part is not marked; see its own stats
    result["gpu_utilisation"] = sampler.mean_utilisation(result.get("timed_window"))
    printed = [line for line in proc.stdout.splitlines() if not line.startswith("RESULT ")]
    if printed:
        print("\n".join(printed), flush=True)
    return result


def run_job(job, spec, timeout, sampler):
    cmd, env = job_command(job, spec)
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"job": job, **spec, "error": f"timed out after {timeout:.0f} s"}
    return finish_result(job, spec, proc, time.perf_counter() - start, sampler)


def _running(pid):
    """Whether process `pid` runs (not ended, not a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def run_parallel(jobs, timeout, sampler, poll_s=1.0):
    """`--parallel_jobs`: every TF job started at once with growing GPU memory (each
    process takes only what it uses), released together once each has run its first
    iteration or ended (stopped after `--parallel_compile_s`), then timed one at a time
    (`_wait_for_turn`). Returns their results in the given order."""
    folder = tempfile.mkdtemp(prefix="gpu_bench_parallel_")
    start = time.perf_counter()
    procs = {}
    for job, spec in jobs:
        cmd, env = job_command(job, spec)
        env["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"
        out = open(os.path.join(folder, f"{job}.out"), "w")
        err = open(os.path.join(folder, f"{job}.err"), "w")
        procs[job] = (subprocess.Popen([*cmd, f"--child_barrier={folder}"], stdout=out,
                                       stderr=err, env=env, text=True), out, err)
    stopped = set()

    def through_start(job):
        return (os.path.exists(os.path.join(folder, f"{job}.ready"))
                or procs[job][0].poll() is not None)

    def others_done():
        return not any(_running(pid) for pid in FLAGS.wait_pids)

    while not (all(through_start(job) for job in procs) and others_done()):
        if time.perf_counter() - start > min(FLAGS.parallel_compile_s, timeout):
            for job in procs:
                if not through_start(job):
                    procs[job][0].kill()
                    stopped.add(job)
            break
        time.sleep(poll_s)
    compiled_s = time.perf_counter() - start
    print(f"--- parallel jobs through their first iteration after {compiled_s:.0f} s"
          + (f"; stopped: {sorted(stopped)}" if stopped else "")
          + ("" if others_done() else "; --wait_pids still running"), flush=True)
    open(os.path.join(folder, "go"), "w").close()
    results = []
    for job, spec in jobs:
        proc, out, err = procs[job]
        try:
            proc.wait(timeout=max(timeout - (time.perf_counter() - start), 1))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            stopped.add(job)
        out.close()
        err.close()
        finished = subprocess.CompletedProcess(
            proc.args, proc.returncode, open(out.name).read(), open(err.name).read())
        if job in stopped:
            result = {"job": job, **spec, "error": f"stopped after {compiled_s:.0f} s"}
        else:
            result = finish_result(job, spec, finished, time.perf_counter() - start, sampler)
        results.append(result)
        print(json.dumps({k: v for k, v in result.items() if k != "trace"}), flush=True)
    shutil.rmtree(folder, ignore_errors=True)
    return results


def fmt(value, spec="", width=8):
    return format("-" if value is None else format(value, spec), f">{width}")


def print_table(results):
    pt = {(r["model"], r["batch"]): r for r in results
          if r.get("side") == "pt" and "error" not in r}
    print(f"\nU-GAT-IT training iteration, ch {FLAGS.ch}, {FLAGS.size} px; ratio = official "
          f"ms / ours (same call)\n")
    print(f"{'job':38s} {'ms/iter':>8s} {'ratio':>6s} {'img/s':>7s} {'peak GiB':>8s} "
          f"{'start GiB':>9s} {'start s':>7s} {'GPU %':>6s} {'host ms':>7s}")
    for r in results:
        if r["side"] == "check":
            continue
        if "error" in r:
            print(f"{r['job']:38s} failed: {r['error'].splitlines()[-1][:80]}")
            continue
        official = pt.get((r["model"], r["batch"]))
        ratio = None
        if r["side"] == "tf" and official:
            ratio = official["ms_per_iter"] / r["ms_per_iter"]
        start = fmt(r["startup_s"], ".0f", 6) + ("*" if r.get("parallel") else " ")
        print(f"{r['job']:38s} {fmt(r['ms_per_iter'], '.1f')} {fmt(ratio, '.2f', 6)} "
              f"{fmt(r['images_per_s'], '.1f', 7)} {fmt(r['peak_gib'], '.2f')} "
              f"{fmt(r.get('startup_peak_gib'), '.2f', 9)} {start} "
              f"{fmt(r.get('gpu_utilisation'), '.0f', 6)} "
              f"{fmt(r.get('host_cpu_ms_per_iter'), '.1f', 7)}")
    if any(r.get("parallel") for r in results):
        print("* start-up of a compile shared with the other --parallel_jobs")
    print("host ms: the process's CPU time per iteration in the timed loop (all threads)")
    for r in results:
        if r["side"] == "check":
            print("\nLoss check:", json.dumps({k: r.get(k) for k in (
                "model", "steps", "max_relative_difference", "finite", "error")}))


def main(argv):
    del argv
    if FLAGS.child == "check":
        run_check()
        return
    if FLAGS.child:
        run_tf_job(parse_job(FLAGS.child))
        return
    specs = [(job, parse_job(job)) for job in FLAGS.jobs]  # fails early on a typo
    unknown = sorted(set(FLAGS.check_runs) - set(CHECK_GPU_RUNS))
    if unknown:
        raise app.UsageError(f"--check_runs: unknown {unknown}; known: {sorted(CHECK_GPU_RUNS)}")
    parallel = [(job, parse_job(job)) for job in FLAGS.parallel_jobs]
    if any(spec["side"] != "tf" for _, spec in parallel):
        raise app.UsageError("--parallel_jobs takes TF jobs only (tf-...).")
    check_tensorflow_importable([spec for _, spec in specs + parallel])
    sampler = UtilisationSampler(os.path.join(tempfile.gettempdir(), "gpu_bench_smi.csv"))
    results = []
    try:
        if parallel:
            print(f"--- {len(parallel)} parallel jobs", flush=True)
            results += run_parallel(parallel, FLAGS.budget_s, sampler)
        for job, spec in specs:
            left = FLAGS.budget_s - (time.perf_counter() - _PROCESS_START)
            if left < 30:
                results.append({"job": job, **spec, "error": "skipped: out of --budget_s"})
                continue
            print(f"--- {job} ({left:.0f} s left)", flush=True)
            if spec["side"] == "check":
                cmd = [sys.executable, os.path.abspath(__file__), "--child=check",
                       f"--cache_dir={FLAGS.cache_dir}",
                       f"--check_runs={','.join(FLAGS.check_runs)}"]
                start = time.perf_counter()
                try:
                    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=left)
                    result = {"job": job, **spec, **_result(proc)}
                except subprocess.TimeoutExpired:
                    result = {"job": job, **spec, "error": "timed out"}
                result["wall_s"] = time.perf_counter() - start
            else:
                result = run_job(job, spec, left, sampler)
            results.append(result)
            print(json.dumps({k: v for k, v in result.items() if k != "trace"}), flush=True)
    finally:
        sampler.close()
    print_table(results)
    if FLAGS.output:
        os.makedirs(os.path.dirname(os.path.abspath(FLAGS.output)), exist_ok=True)
        with open(FLAGS.output, "w") as f:
            json.dump({"command": "python3 bench/gpu_bench.py " + " ".join(sys.argv[1:]),
                       "results": results}, f, indent=2)


if __name__ == "__main__":
    app.run(main)
