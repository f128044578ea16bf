"""Helpers shared by the model families' networks."""

import keras
from keras import ops

from ugatit_tf.layers.precision import statistics_dtype


def output_dtype(compute_dtype):
    """Model outputs: float32 under mixed policies, the compute dtype under float32 and
    float64 (the rule `statistics_dtype` implements)."""
    return statistics_dtype(compute_dtype)


def output_spec(shape, compute_dtype):
    """A `compute_output_spec` result: a KerasTensor of `shape` in `output_dtype`."""
    return keras.KerasTensor(shape, dtype=output_dtype(compute_dtype))


def output_specs(shapes, compute_dtype):
    """`output_spec` of each shape of a model with several outputs; None (an output
    the model does not have) stays None."""
    return tuple(None if shape is None else output_spec(shape, compute_dtype)
                 for shape in shapes)


def build_by_running(model, shape):
    """Builds every sublayer of a subclassed model by calling it once on zeros."""
    model.call(ops.zeros(shape, dtype=model.compute_dtype))
    model.built = True


def smallest_side(logit_map_size, num_layers):
    """Smallest input side for which a discriminator of `num_layers` layers, whose logit
    map side is `logit_map_size(side, num_layers)`, has a logit."""
    side = 1
    while logit_map_size(side, num_layers) < 1:
        side += 1
    return side


def check_discriminator_input(model, logit_map_size, shape):
    """ValueError naming `model` and the smallest side when an input of `shape`
    (`[N, H, W, C]`, None for unknown sides) leaves `model` without a logit."""
    for d in (shape[1], shape[2]):
        if d is not None and logit_map_size(d, model.num_layers) < 1:
            raise ValueError(
                f"{type(model).__name__}(num_layers={model.num_layers}) needs inputs of at "
                f"least {smallest_side(logit_map_size, model.num_layers)} px, got "
                f"{shape[1]}x{shape[2]}. Use fewer layers or larger images.")
