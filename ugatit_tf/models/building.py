"""Helpers shared by the model families' networks."""

from keras import ops


def build_by_running(model, shape):
    """Builds every sublayer of a subclassed model by calling it once on zeros."""
    model.call(ops.zeros(shape, dtype=model.compute_dtype))
    model.built = True


def check_positive_int(name, value, minimum=1):
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}.")


def check_bool(name, value):
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}.")
