"""Running a function over a stream of images in batches, with a progress bar."""

import numpy as np
import tensorflow as tf

from ugatit_tf.progress import Progress


def batches(images, batch_size):
    """Groups an iterable of single images `[H, W, 3]` into float32 batches."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
    batch = []
    for image in images:
        batch.append(np.asarray(image, np.float32))
        if len(batch) == batch_size:
            yield np.stack(batch)
            batch = []
    if batch:
        yield np.stack(batch)


def map_batches(fn, images, batch_size, total=None, description=None, progress=True):
    """Applies `fn` to batches of `images` and concatenates its numpy outputs.

    Args:
        fn: maps a float32 batch `[N, H, W, 3]` to an array `[N, ...]`.
        images: an iterable of single images, or an array `[N, H, W, 3]`.
        batch_size: images per call of `fn`.
        total: number of images, for the progress bar (taken from `images` if it has a length).
        description: printed before the progress bar.
        progress: show the progress bar.

    Returns:
        The concatenated outputs, `[N, ...]`.
    """
    if total is None and hasattr(images, "__len__"):
        total = len(images)
    if progress and description:
        print(description, flush=True)
    bar = Progress(total, unit="image") if progress else None
    outputs = []
    for batch in batches(images, batch_size):
        outputs.append(np.asarray(fn(tf.constant(batch))))
        if bar is not None:
            bar.add(len(batch))
    if bar is not None:
        bar.finish()
    if not outputs:
        raise ValueError(f"No images to process{' for ' + description if description else ''}.")
    return np.concatenate(outputs)
