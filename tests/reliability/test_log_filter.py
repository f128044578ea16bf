"""TensorFlow's known harmless lines are dropped from the apps' stderr; nothing else is
(item 12)."""

import os
import subprocess
import sys
import textwrap

from apps import ROOT

REMAPPER = ("E0000 00:00:1796118319.077837    6644 meta_optimizer.cc:967] remapper failed: "
            "INVALID_ARGUMENT: Mutation::Apply error: fanout 'x' exist for missing node 'y'.")
REAL_ERROR = ("E0000 00:00:1796118319.077837    6644 op_kernel.cc:1857] OP_REQUIRES failed "
              "at conv_ops.cc:12 : RESOURCE_EXHAUSTED: OOM when allocating tensor")


def run_script(body):
    script = textwrap.dedent(f"""
        import os, sys
        from ugatit_tf import log_filter
        assert log_filter.install()
        {textwrap.indent(textwrap.dedent(body), '        ').strip()}
    """)
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          timeout=60)


def test_harmless_lines_go_real_errors_stay():
    result = run_script(f"""
        os.write(2, b"{REMAPPER}\\n")  # as TF's C++ logging writes it, on fd 2
        os.write(2, b"{REAL_ERROR}\\n")
        print("Traceback (most recent call last): a Python error", file=sys.stderr)
        print("an ordinary log line mentioning remapper failed", file=sys.stderr)
        os.write(2, b"partial line without newline")
    """)
    stderr = result.stderr.decode()
    assert "meta_optimizer.cc:967] remapper failed" not in stderr
    assert REAL_ERROR in stderr
    assert "Traceback (most recent call last): a Python error" in stderr
    assert "an ordinary log line mentioning remapper failed" in stderr  # not TF's line
    assert stderr.endswith("partial line without newline")


def test_what_a_crashing_process_wrote_last_still_shows():
    """The filter is its own process: kill -9 of the app loses no line."""
    result = run_script(f"""
        os.write(2, b"{REAL_ERROR}\\n")
        os.write(2, b"{REMAPPER}\\n")
        os.write(2, b"the last words\\n")
        os.kill(os.getpid(), 9)
    """)
    assert result.returncode == -9
    stderr = result.stderr.decode()
    assert REAL_ERROR in stderr and "the last words" in stderr
    assert "remapper failed" not in stderr


def test_python_exceptions_keep_their_traceback():
    result = run_script("""
        raise RuntimeError("an internal error")
    """)
    assert result.returncode == 1
    assert b"Traceback" in result.stderr and b"RuntimeError: an internal error" in result.stderr


def test_tflite_converter_notices_go():
    ignored = ("W0000 00:00:1796129910.842529   29501 tf_tfl_flatbuffer_helpers.cc:364] "
               "Ignored output_format.")
    result = run_script(f"""
        os.write(2, b"{ignored}\\n")
        os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n")
        os.write(2, b"W0000 00:00:1.0   1 tf_tfl_flatbuffer_helpers.cc:364] Ignored other.\\n")
    """)
    stderr = result.stderr.decode()
    assert "output_format" not in stderr and "XNNPACK" not in stderr
    assert "Ignored other." in stderr  # a converter warning not known to be harmless


def run_app(env_level):
    """A stand-in app started through `app_errors.run`: prints TensorFlow's C++ log level."""
    script = textwrap.dedent("""
        import os
        from ugatit_tf import app_errors
        app_errors.run(lambda argv: print(os.environ.get("TF_CPP_MIN_LOG_LEVEL")))
    """)
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    if env_level is not None:
        env["TF_CPP_MIN_LOG_LEVEL"] = env_level
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=env)


def test_apps_hide_tensorflow_info_lines_unless_the_user_asks():
    assert run_app(None).stdout.strip() == "1"  # warnings and errors only
    assert run_app("0").stdout.strip() == "0"  # the user's choice stays
