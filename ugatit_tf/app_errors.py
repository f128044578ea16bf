"""User errors in the apps: one line on stderr and exit code 2, never a traceback.

Every app (`train.py`, `translate.py`, `export.py`, `evaluate.py`) starts through `run`:
it quiets TensorFlow's C++ info lines (`TF_CPP_MIN_LOG_LEVEL=1` unless the environment
sets it: warnings and errors stay) and its known harmless warning and error lines
(`log_filter`), parses the flags (a bad flag, a
missing `--config` file or an unknown config key is one line), rejects positional
arguments, and turns a `UserError` (a bad flag, config value, path or input: the
message says what to change) into one line and exit code 2, and Ctrl-C into
"interrupted" and exit code 130. Any other exception is an internal error and keeps its
traceback.

This module imports neither TensorFlow nor Keras, so that the checks run before either
starts.
"""

import os
import re
import sys

EXIT_USER_ERROR = 2
# TF's C++ logging: 0 shows info lines (the TFLite converter's reading and loading of
# the SavedModel, ~10 per file), 1 warnings and errors only. The start-up banner comes
# before TF reads the level: `log_filter` drops it.
APP_TF_CPP_MIN_LOG_LEVEL = "1"
_HELP_FLAGS = {"help", "?", "helpfull", "helpshort", "helpxml"}


class UserError(ValueError):
    """A bad flag, config value, path or input file; the message says how to fix it."""


def format_error(program, message):
    """`<program>: error: <message>` on one line (line breaks in the message joined)."""
    text = " ".join(line.strip() for line in str(message).splitlines() if line.strip())
    return f"{program}: error: {text}"


def fail(message, program=None):
    """Prints the one-line error for `message` and exits with `EXIT_USER_ERROR`."""
    program = program or os.path.basename(sys.argv[0])
    sys.stderr.flush()
    print(format_error(program, message), file=sys.stderr, flush=True)
    sys.exit(EXIT_USER_ERROR)


def _parse_flags(argv):
    """absl's flag parsing with every parse failure as one line."""
    from absl import flags

    try:
        return flags.FLAGS(argv)
    except SystemExit as e:
        # absl exits 1 after printing --help (--helpfull, ...): a request that succeeded.
        asked = {a.split("=")[0].lstrip("-") for a in argv[1:]} & _HELP_FLAGS
        if asked and e.code == 1:
            sys.exit(0)
        raise
    except flags.Error as e:
        fail(e)
    except (AttributeError, KeyError) as e:
        # ml_collections' config_flags, on a `--config.x.y=...` naming no config key.
        text = str(e).replace("\\", "")
        key = (re.findall(r"\w+", text) or ["?"])[0]
        named = [a for a in argv[1:] if a.startswith("--") and f".{key}" in a.split("=")[0]]
        guess = re.search(r'Did you mean "(\w+)"', text)
        fail(f"unknown config key {key!r} in {' '.join(named) or 'the arguments'}: the "
             f"config file defines no such key"
             + (f" (did you mean {guess.group(1)!r}?)" if guess else ""))


def reject_positional(argv):
    """Raises UserError for arguments that are not flags (`train.py cat2dog`)."""
    if len(argv) > 1:
        raise UserError(
            f"unexpected argument(s) {' '.join(argv[1:])!r}: this program takes flags only, "
            f"written --name=value (e.g. --dataset=cat2dog); see --help")


def run(main, quiet_logs=True):
    """Runs an app's `main(argv)` the way `absl.app.run` does, with the behaviour of the
    module docstring.

    Args:
        main: the app's main function; it may raise `UserError` (or a subclass such as
            `ugatit_tf.data.DatasetError`).
        quiet_logs: hide TensorFlow's C++ info lines and drop its known harmless log
            lines (`log_filter`). Both act on TensorFlow only if it is not imported yet.
    """
    from absl import app

    if quiet_logs:
        from ugatit_tf import log_filter

        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", APP_TF_CPP_MIN_LOG_LEVEL)
        log_filter.install()

    def checked_main(argv):
        try:
            reject_positional(argv)
            return main(argv)
        except UserError as e:
            fail(e)
        except app.UsageError as e:
            fail(e)
        except KeyboardInterrupt:  # Ctrl-C outside a training loop (which saves first)
            sys.stderr.flush()
            print(f"{os.path.basename(sys.argv[0])}: interrupted", file=sys.stderr,
                  flush=True)
            sys.exit(130)

    app.run(checked_main, flags_parser=_parse_flags)
