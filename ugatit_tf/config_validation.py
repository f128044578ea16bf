"""The apps' up-front checks of config values and flags, before TensorFlow starts.

`check_config` checks every value of a training config against its allowed range and
every key against a reference config (the task's defaults: `configs/default.py` for
U-GAT-IT, `configs/<task>/default.py` for the others), and raises one `UserError`
naming each bad value. `check_flag` does the same for one flag. Both run
before TensorFlow is imported and before anything is written to a work dir.
"""

import math
import numbers

from ugatit_tf.app_errors import UserError

# The names export.py's flags accept, kept here so that the flags are checked without
# importing export_lib (and TensorFlow); export_lib takes them from here.
TFLITE_VARIANTS = ("float32", "float16", "int8")
DIRECTIONS = ("a2b", "b2a")


def _integer(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def at_least(low):
    def check(value):
        if not _integer(value) or value < low:
            return f"an integer >= {low}"
    return check


def non_negative_number(value):
    if not _number(value) or not math.isfinite(value) or value < 0:
        return "a finite number >= 0"


def positive_number(value):
    if not _number(value) or not math.isfinite(value) or value <= 0:
        return "a finite number > 0"


def unit_interval_open(value):
    if not _number(value) or not 0 <= value < 1:
        return "a number in [0, 1)"


def boolean(value):
    if not isinstance(value, bool):
        return "True or False"


def non_empty_string(value):
    if not isinstance(value, str) or not value.strip():
        return "a non-empty string"


def string(value):
    if not isinstance(value, str):
        return "a string"


def image_size(value):
    # Two stride-2 downsamplings and reflection pads of 1 at the bottleneck need
    # multiples of 4 and at least 2x2 there (README: "Model library").
    if not _integer(value) or value < 8 or value % 4:
        return "a multiple of 4, at least 8"


RULES = {
    "task": non_empty_string,
    "model.base_filters": at_least(1),
    "model.disc_base_filters": at_least(1),
    "model.disc_layers": at_least(1),
    "model.num_res_blocks": at_least(1),
    "model.image_size": image_size,
    "model.light": boolean,
    "model.generator_cam": boolean,
    "model.discriminator_cam": boolean,
    "model.disc_global_layers": at_least(2),
    "model.disc_local_layers": at_least(2),
    "data.dataset": non_empty_string,
    "data.data_root": non_empty_string,
    "data.batch_size": at_least(1),
    "data.shuffle_buffer": at_least(1),
    "data.synthetic_size": at_least(1),
    "data.synthetic_test_size": at_least(1),
    "data.synthetic_seed": at_least(0),
    "data.tfds_data_dir": string,
    "data.tfds_download": boolean,
    "loss.adversarial": non_negative_number,
    "loss.cycle": non_negative_number,
    "loss.identity": non_negative_number,
    "loss.cam": non_negative_number,
    "loss.cycle_a": non_negative_number,
    "loss.cycle_b": non_negative_number,
    "loss.pool_size": at_least(0),
    "train.iterations": at_least(1),
    "train.constant_iterations": at_least(0),
    "train.decay_iterations": at_least(0),
    "train.learning_rate": positive_number,
    "train.beta_1": unit_interval_open,
    "train.beta_2": unit_interval_open,
    "train.weight_decay": non_negative_number,
    "train.decay_flag": boolean,
    "train.print_freq": at_least(1),
    "train.log_freq": at_least(1),
    "train.save_freq": at_least(1),
    "train.keep_checkpoints": at_least(1),
    "train.seed": at_least(0),
}


def _reference_modules(task):
    """Where `task`'s defaults live, preferred first."""
    return [f"configs.{task}.default"] + (["configs.default"] if task == "ugatit" else [])


def reference_file(task):
    """The config file holding the defaults (and so the keys) of `task`'s configs."""
    import importlib.util

    for module in _reference_modules(task):
        if importlib.util.find_spec(module) is not None:
            return module.replace(".", "/") + ".py"
    return None


def reference_config(task):
    """The defaults of `task` (`reference_file`), or None when the task has none (its
    presets differ in their keys, as AttentionGAN's two schemes: no unknown-key check).

    Raises:
        UserError: `task` is not one of `ugatit_tf.tasks.TASKS`.
    """
    import importlib

    from ugatit_tf.tasks import TASKS  # the registry only: no TensorFlow import

    if task not in TASKS:
        raise UserError(f"config.task={task!r} is not a known task: choose from "
                        f"{', '.join(sorted(TASKS))}")
    path = reference_file(task)
    if path is None:
        return None
    return importlib.import_module(path[:-3].replace("/", ".")).get_config()


def discriminator_min_size(num_layers):
    """The smallest input a `num_layers` discriminator takes: its num_layers - 2 stride-2
    convs halve the size, and the two 4x4 stride-1 convs at the end need 3x3 there
    (README: 96 px for 7 layers, 24 px for 5)."""
    return 3 * 2 ** (num_layers - 2)


def flatten(config, prefix=""):
    """`{"model.image_size": 256, ...}` of a ConfigDict (or nested dicts)."""
    items = config.items() if hasattr(config, "items") else []
    out = {}
    for key, value in items:
        path = f"{prefix}{key}"
        if hasattr(value, "items"):
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out


def config_problems(config, reference=None):
    """Every problem of `config` as a list of strings (empty: the config is good).

    Args:
        config: the resolved training config (ConfigDict).
        reference: a config whose keys are the known ones (the defaults); None to skip
            the unknown-key check.
    """
    values = flatten(config)
    problems = []
    if reference is not None:
        known = set(flatten(reference))
        for key in sorted(set(values) - known):
            problems.append(f"unknown key config.{key} (the known keys are those of "
                            f"{reference_file(config.get('task', 'ugatit'))})")
    for key, rule in RULES.items():
        if key not in values:
            continue
        expected = rule(values[key])
        if expected:
            problems.append(f"config.{key}={values[key]!r} must be {expected}")
    size = values.get("model.image_size")
    if not image_size(size):
        for key in ("model.disc_global_layers", "model.disc_local_layers"):
            layers = values.get(key)
            if _integer(layers) and layers >= 2 and size < discriminator_min_size(layers):
                problems.append(
                    f"config.{key}={layers} needs config.model.image_size >= "
                    f"{discriminator_min_size(layers)} (got {size}): use fewer layers or a "
                    f"larger image size")
    return problems


def check_config(config, reference=None):
    """Raises one UserError naming every bad value of `config` (see `config_problems`)."""
    problems = config_problems(config, reference)
    if problems:
        raise UserError("invalid config: " + "; ".join(problems))
    return config


def check_flag(name, value, rule):
    """Raises UserError when flag `--name` (not None) breaks `rule` (one of the above)."""
    if value is None:
        return value
    expected = rule(value)
    if expected:
        raise UserError(f"--{name}={value!r} must be {expected}")
    return value


def check_choices(name, values, choices):
    """Raises UserError when a list flag holds values outside `choices`."""
    unknown = [v for v in values if v not in choices]
    if unknown:
        raise UserError(f"Unknown --{name} value(s) {', '.join(unknown)}: choose from "
                        f"{', '.join(choices)}")
    return tuple(values)
