"""The paper's augmentation (training) and the test-time resize.

Training, as the official code: random horizontal flip, resize to (size+30)^2, random crop
size^2, scale to [-1, 1]. Test: resize to size^2, scale to [-1, 1]. Resizing is bilinear
with antialiasing (as PIL's bilinear resize used by torchvision) and ignores the aspect
ratio. Random draws are stateless, keyed by a per-element seed, so a pipeline is
reproducible whatever the parallelism.
"""

import tensorflow as tf

CROP_MARGIN = 30


def to_unit_range(image):
    """uint8-valued [0, 255] image -> float32 in [-1, 1]."""
    image = tf.cast(image, tf.float32) / 127.5 - 1.0
    return tf.clip_by_value(image, -1.0, 1.0)


def resize(image, size):
    """Bilinear, antialiased resize to [size, size] (float32 output, same value range)."""
    return tf.image.resize(image, [size, size], method="bilinear", antialias=True)


def train_augment(image, image_size, seed):
    """Flip, resize to (image_size+30)^2, random crop image_size^2, scale to [-1, 1].

    Args:
        image: uint8 [H, W, 3].
        image_size: output side.
        seed: int tensor [2], the stateless seed of this element.

    Returns:
        float32 [image_size, image_size, 3] in [-1, 1].
    """
    flip_seed, crop_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    image = tf.image.stateless_random_flip_left_right(image, flip_seed)
    image = resize(image, image_size + CROP_MARGIN)
    image = tf.image.stateless_random_crop(image, [image_size, image_size, 3], crop_seed)
    return to_unit_range(image)


def eval_preprocess(image, image_size):
    """Resize to image_size^2 and scale to [-1, 1]; float32 [image_size, image_size, 3]."""
    image = resize(image, image_size)
    image.set_shape([image_size, image_size, 3])
    return to_unit_range(image)
