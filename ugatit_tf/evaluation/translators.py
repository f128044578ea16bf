"""The two translation directions, from a training work dir or an exported SavedModel."""

import dataclasses
import os
from collections.abc import Callable

import tensorflow as tf

from ugatit_tf import checkpoints
from ugatit_tf.directions import check_direction


@dataclasses.dataclass
class Translators:
    """`a2b` and `b2a` map float32 batches `[N, S, S, 3]` in [-1, 1] to translated batches."""

    a2b: Callable
    b2a: Callable

    def __getitem__(self, direction):
        return getattr(self, check_direction(direction))


def from_task(task):
    """Translators calling a task's `translate` (its generators in inference mode), one
    trace per direction for any batch size."""
    model = task.config.model
    side = model.image_size if model.get("light", True) is False else None  # full U-GAT-IT
    spec = [tf.TensorSpec([None, side, side, 3], tf.float32)]
    fn = lambda d: tf.function(lambda x: task.translate(d, x)["image"], input_signature=spec)
    return Translators(a2b=fn("a2b"), b2a=fn("b2a"))


def from_workdir(workdir, checkpoint=None):
    """Translators from a training work dir; returns `(translators, config)`."""
    if not os.path.isdir(workdir):
        raise FileNotFoundError(
            f"--workdir={workdir} does not exist: pass the directory given to train.py.")
    task, config = checkpoints.load_task(workdir, checkpoint)
    return from_task(task), config


def _signature_fn(loaded, name, path):
    if name not in loaded.signatures:
        raise ValueError(f"{path} has no {name!r} signature (it has "
                         f"{sorted(loaded.signatures)}): export it with export.py.")
    fn = loaded.signatures[name]
    _, kwargs = fn.structured_input_signature
    if len(kwargs) != 1:
        raise ValueError(f"Signature {name!r} of {path} takes {sorted(kwargs)}; expected "
                         "one image input.")
    (arg,) = kwargs

    def translate(images):
        outputs = fn(**{arg: tf.cast(images, tf.float32)})
        if "image" in outputs:
            return outputs["image"]
        images_out = [v for v in outputs.values() if v.shape.rank == 4 and v.shape[-1] == 3]
        if len(images_out) != 1:
            raise ValueError(f"Signature {name!r} of {path} returns {sorted(outputs)}; "
                             "cannot tell which output is the translated image.")
        return images_out[0]

    translate.saved_model = loaded  # the signature's variables live as long as `loaded`
    return translate


def from_saved_model(path):
    """Translators from a SavedModel exported with `a2b` / `b2a` signatures."""
    if not os.path.isdir(path):
        raise FileNotFoundError(f"--saved_model={path} does not exist: pass the directory "
                                "written by export.py.")
    loaded = tf.saved_model.load(path)
    return Translators(a2b=_signature_fn(loaded, "a2b", path),
                       b2a=_signature_fn(loaded, "b2a", path))
