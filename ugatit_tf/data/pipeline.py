"""`tf.data` pipelines: unpaired training batches and ordered test images.

`data_config.dataset` selects the source: "synthetic" (built in), "tfds:<config>" (TFDS
cycle_gan) or a folder name looked up as `<data_config.data_root>/<name>`.
"""

import tensorflow as tf

from ugatit_tf.data import augment, synthetic
from ugatit_tf.data.folders import folder_source
from ugatit_tf.data.tfds_source import PREFIX, tfds_source

AUTOTUNE = tf.data.AUTOTUNE
SPLITS = ("train", "test")
DOMAINS = ("A", "B")


def make_source(data_config, split, domain, image_size, min_size=None):
    """The `Source` of one domain and split of the dataset named by `data_config.dataset`.

    Args:
        data_config: the `config.data` ConfigDict (or any mapping with `.get`).
        split: "train" or "test".
        domain: "A" or "B".
        image_size: synthetic images are rendered at this resolution.
        min_size: large JPEGs of a folder dataset are decoded at a reduced scale whose
            sides stay >= min_size.
    """
    if split not in SPLITS or domain not in DOMAINS:
        raise ValueError(f"split must be one of {SPLITS} and domain one of {DOMAINS}, got "
                         f"{split!r}, {domain!r}.")
    name = data_config.get("dataset", "synthetic")
    if name == "synthetic":
        if split == "train":
            size = data_config.get("synthetic_size", 1000)
        else:
            size = data_config.get("synthetic_test_size", synthetic.TEST_SIZE)
        return synthetic.synthetic_source(
            split, domain, size, image_size, seed=data_config.get("synthetic_seed", 0))
    if name.startswith(PREFIX):
        return tfds_source(
            name.removeprefix(PREFIX), split, domain,
            data_dir=data_config.get("tfds_data_dir", None),
            download=data_config.get("tfds_download", True))
    return folder_source(data_config.get("data_root", "dataset"), name, split, domain,
                         min_size=min_size)


def _train_domain(source, image_size, batch_size, shuffle_buffer, seed, skip_batches=0):
    """Shuffled (seeded), repeated, augmented, batched images of one domain."""
    keys = source.keys.shuffle(
        max(1, min(shuffle_buffer, len(source))), seed=seed, reshuffle_each_iteration=True)
    # Skipping keys before decoding makes resuming at any step cheap.
    keys = keys.repeat().enumerate().skip(skip_batches * batch_size)

    def load(count, key):
        element_seed = tf.stack([tf.constant(seed, tf.int64), count])
        return augment.train_augment(source.decode(key), image_size, element_seed)

    images = keys.map(load, num_parallel_calls=AUTOTUNE, deterministic=True)
    return images.batch(batch_size, drop_remainder=True)


def build_train_dataset(data_config, image_size, batch_size, seed=0, skip_batches=0):
    """Unpaired training batches `(real_a, real_b)`, repeated forever.

    Each domain is shuffled with its own seed (buffer `data_config.shuffle_buffer`, on
    file names or indices, so it is cheap), decoded in parallel and augmented as the paper
    (flip, resize to image_size+30, random crop). The same `seed` gives the same batches.

    Args:
        data_config: the `config.data` ConfigDict.
        image_size: side of the output images.
        batch_size: images per domain and batch (the global batch).
        seed: int seed of the shuffles and augmentations.
        skip_batches: start after this many batches (a resumed run continues the
            stream of the run it resumes).

    Returns:
        A `tf.data.Dataset` of `(real_a, real_b)`, each float32
        [batch_size, image_size, image_size, 3] in [-1, 1].
    """
    shuffle_buffer = data_config.get("shuffle_buffer", 1000)
    domains = []
    for i, domain in enumerate(DOMAINS):
        source = make_source(data_config, "train", domain, image_size,
                             min_size=image_size + augment.CROP_MARGIN)
        domains.append(_train_domain(source, image_size, batch_size, shuffle_buffer,
                                     seed=2 * seed + i, skip_batches=skip_batches))
    return tf.data.Dataset.zip(tuple(domains)).prefetch(AUTOTUNE)


def build_eval_dataset(data_config, image_size, split="test", domain="A"):
    """The images of one domain, in a stable order, without augmentation.

    Args:
        data_config: the `config.data` ConfigDict.
        image_size: images are resized (not cropped) to image_size^2.
        split: "test" or "train".
        domain: "A" or "B".

    Returns:
        A finite, unbatched `tf.data.Dataset` of `(image, name)`: float32
        [image_size, image_size, 3] in [-1, 1] and the tf.string file name (a generated
        stable name such as "000012.png" for the synthetic and TFDS sources).
    """
    source = make_source(data_config, split, domain, image_size, min_size=image_size)
    names = tf.data.Dataset.from_tensor_slices(list(source.names))

    def load(key, name):
        return augment.eval_preprocess(source.decode(key), image_size), name

    dataset = tf.data.Dataset.zip((source.keys, names))
    return dataset.map(load, num_parallel_calls=AUTOTUNE, deterministic=True).prefetch(
        AUTOTUNE)
