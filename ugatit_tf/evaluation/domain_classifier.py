"""A small CNN that tells domain A from domain B: an offline translation metric.

Trained in seconds to minutes on a CPU on the training images (trainA, trainB, and a
third class "neither" made from them by `neither_images`), it gives two numbers for a
translation direction, say A->B:

* **translation accuracy**: the share of translated test images A->B that the classifier
  assigns to B (and B->A outputs assigned to A). It asks "does the output carry the
  features that separate the two domains?", the question a human judge asks first.
* **classifier KID**: KID (`metrics.kid`) between the classifier's penultimate features
  (`FEATURE_LAYER`) of the translations and of the real target test images.

Limits, to read the numbers honestly:

* The classifier only knows what separates A from B *in its training data*; it says
  nothing about image quality, realism or whether the content of the input is preserved.
  A generator that pastes a texture typical of B onto every output can score 100%.
* Images unlike both domains should land in "neither" (an untrained generator scores
  ~0%), but that class is built from a few corruptions (noise, blends, blur, random
  filters); other failure modes may still be assigned to A or B. Read the accuracy
  together with the classifier KID, the Inception KID/FID and the sample images.
* The ceiling is the classifier's own accuracy on the real test images (reported as
  `real_target_accuracy`); the floor, the share of *untranslated* source images already
  classified as the target (`source_as_target`).
* It is trained from scratch at a low resolution (64 px by default): on small or hard
  datasets (ants vs bees, ~120 training images per domain) its own accuracy is modest,
  and scores are only comparable between models evaluated with the same cached
  classifier (same data, image size, steps and seed).
"""

import json
import os

import keras
import numpy as np
import tensorflow as tf

from ugatit_tf.evaluation import options
from ugatit_tf.progress import Progress

FEATURE_LAYER = "features"
CLASSES = ("A", "B", "neither")
MODEL_FILE = "domain_classifier.keras"
INFO_FILE = "domain_classifier.json"
DEFAULT_STEPS = options.CLASSIFIER_STEPS
DEFAULT_INPUT_SIZE = options.CLASSIFIER_INPUT_SIZE
CACHE_BYTES = 1 << 30


def build_domain_classifier(input_size=DEFAULT_INPUT_SIZE, filters=(32, 64, 128, 256),
                            feature_dim=128, seed=0):
    """The classifier: resize, conv/BN/ReLU stages (stride 1, then 2), GAP, features, logits.

    Args:
        input_size: images of any size are resized to this (bilinear) first.
        filters: channels of the stages; the first keeps the resolution, the others halve it.
        feature_dim: width of the penultimate (`FEATURE_LAYER`) Dense layer.
        seed: weight-initialisation seed.

    Returns:
        A `keras.Model` mapping images `[N, H, W, 3]` in [-1, 1] to logits `[N, 3]` of the
        classes `CLASSES` (domain A, domain B, neither).
    """
    if input_size < 16:
        raise ValueError(f"input_size must be >= 16, got {input_size}.")
    init = keras.initializers.HeNormal(seed=seed)
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Resizing(input_size, input_size, "bilinear")(inputs)
    for i, f in enumerate(filters):
        x = keras.layers.Conv2D(f, 3, strides=1 if i == 0 else 2, padding="same",
                                use_bias=False, kernel_initializer=init, name=f"conv{i}")(x)
        x = keras.layers.BatchNormalization(momentum=0.9, name=f"bn{i}")(x)
        x = keras.layers.ReLU()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(feature_dim, activation="relu", kernel_initializer=init,
                           name=FEATURE_LAYER)(x)
    x = keras.layers.Dropout(0.3, seed=seed)(x)
    logits = keras.layers.Dense(len(CLASSES), name="logits")(x)
    return keras.Model(inputs, logits, name="domain_classifier")


def neither_images(a, b, seed):
    """Images of neither domain, made from real ones: the classifier's third class.

    Per image, one of: smooth random noise; a 50/50 blend of an A and a B image; a heavy
    blur (4x4 then back up); a random 3x3 convolution, normalised and squashed by tanh
    (what an untrained generator does); then a random contrast and colour cast. Without
    this class, outputs unlike both domains (an untrained or collapsed generator) would be
    labelled A or B arbitrarily.

    Args:
        a, b: batches `[N, S, S, 3]` of the two domains.
        seed: a `[2]` int32 stateless seed.
    """
    n, size = tf.shape(a)[0], tf.shape(a)[1]
    seeds = tf.random.experimental.stateless_split(seed, 5)
    noise = sum(tf.image.resize(tf.random.stateless_uniform([n, g, g, 3], seeds[0] + g, -1, 1),
                                [size, size], "bicubic") for g in (4, 16))
    blend = 0.5 * (a + tf.reverse(b, [0]))
    blur = tf.image.resize(tf.image.resize(a, [4, 4], "area"), [size, size], "bilinear")
    kernel = tf.random.stateless_normal([3, 3, 3, 3], seeds[1])
    conv = tf.nn.conv2d(tf.concat([a[: n // 2], b[n // 2:]], 0), kernel, 1, "SAME")
    mean, var = tf.nn.moments(conv, [1, 2], keepdims=True)
    conv = tf.tanh((conv - mean) * tf.math.rsqrt(var + 1e-5))
    choice = tf.random.stateless_uniform([n], seeds[2], 0, 4, tf.int32)
    candidates = tf.stack([noise, blend, blur, conv], 1)  # [N, 4, S, S, 3]
    images = tf.gather(candidates, choice, batch_dims=1)
    # Any contrast and colour cast: untrained generators give low-contrast tinted mush.
    contrast = tf.random.stateless_uniform([n, 1, 1, 1], seeds[3], 0.1, 1.0)
    cast = tf.random.stateless_uniform([n, 1, 1, 3], seeds[4], -0.5, 0.5)
    return tf.clip_by_value(images * contrast + cast, -1.0, 1.0)


def train_domain_classifier(model, batches, steps, learning_rate=3e-3, seed=0,
                            progress=False):
    """Trains `model` on `(real_a, real_b)` batches plus `neither_images` of them.

    Args:
        model: from `build_domain_classifier`.
        batches: an iterator (or iterable) of `(real_a, real_b)` image batches in [-1, 1].
        steps: optimisation steps, one pair of batches each.
        learning_rate: Adam learning rate, cosine-decayed to 0 over `steps`.
        seed: seed of the "neither" images.
        progress: show a progress line with the running loss and accuracy (redrawn on a
            terminal, one line per 30 s in a log file).

    Returns:
        `{"loss": ..., "accuracy": ...}` averaged over the last 10% of the steps.
    """
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, max(steps, 1))
    optimizer = keras.optimizers.Adam(schedule)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function(reduce_retracing=True)
    def step(a, b, i):
        other = neither_images(a, b, tf.stack([tf.constant(seed), i]))
        x = tf.concat([a, b, other], 0)
        y = tf.repeat(tf.range(3), [tf.shape(a)[0], tf.shape(b)[0], tf.shape(other)[0]])
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        correct = tf.equal(tf.argmax(logits, -1, output_type=tf.int32), y)
        return loss, tf.reduce_mean(tf.cast(correct, tf.float32))

    iterator = iter(batches)
    tail = max(1, steps // 10)
    history = []
    bar = Progress(steps, unit="step", label="domain classifier step ") if progress else None
    for i in range(steps):
        a, b = next(iterator)
        loss, acc = step(tf.convert_to_tensor(a, tf.float32),
                         tf.convert_to_tensor(b, tf.float32), tf.constant(i, tf.int32))
        history.append((float(loss), float(acc)))
        if bar:
            recent = np.mean(history[-tail:], axis=0)
            values = [("loss", float(recent[0])), ("train accuracy", float(recent[1]))]
            if i + 1 < steps:
                bar.update(i + 1, values)
            else:
                bar.finish(values, count=steps)
    loss, acc = np.mean(history[-tail:], axis=0)
    return {"loss": float(loss), "accuracy": float(acc)}


class DomainClassifier:
    """A trained classifier with the two views the metrics need.

    Args:
        model: from `build_domain_classifier`, trained.
    """

    def __init__(self, model):
        self.model = model
        features = keras.Model(model.inputs, model.get_layer(FEATURE_LAYER).output)
        self._logit = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
        self._features = tf.function(lambda x: features(x, training=False),
                                     reduce_retracing=True)

    def logits(self, images):
        """Logits `[N, 3]` of `CLASSES` for images `[N, H, W, 3]` in [-1, 1]."""
        return self._logit(images)

    def features(self, images):
        """Penultimate features `[N, feature_dim]`, for the classifier KID."""
        return self._features(images)


def domain_accuracy(logits, domain):
    """Share of images classified as `domain` ("A" or "B") given their logits `[N, 3]`."""
    if domain not in ("A", "B"):
        raise ValueError(f"domain must be 'A' or 'B', got {domain!r}.")
    return float(np.mean(np.argmax(logits, -1) == CLASSES.index(domain)))


def load_or_train(cache_dir, key, make_batches, steps=DEFAULT_STEPS,
                  input_size=DEFAULT_INPUT_SIZE, seed=0, progress=False):
    """Loads the classifier cached in `cache_dir`, or trains and caches it.

    The cache is reused only if its recorded `key` (dataset, image size, steps, ...) equals
    this one; otherwise the classifier is retrained and overwritten.

    Args:
        cache_dir: where `domain_classifier.keras` and `domain_classifier.json` live.
        key: a JSON-serialisable dict identifying the training set-up.
        make_batches: a callable returning the `(real_a, real_b)` batch iterator.
        steps, input_size, seed, progress: see `build_domain_classifier` and
            `train_domain_classifier`.

    Returns:
        `(DomainClassifier, info)`; `info` holds the key, the training summary and
        whether the cache was used (`"cached"`).
    """
    key = dict(key, steps=steps, input_size=input_size, seed=seed)
    model_path = os.path.join(cache_dir, MODEL_FILE)
    info_path = os.path.join(cache_dir, INFO_FILE)
    if os.path.isfile(model_path) and os.path.isfile(info_path):
        with open(info_path) as f:
            info = json.load(f)
        if info.get("key") == key:
            model = keras.saving.load_model(model_path)
            return DomainClassifier(model), dict(info, cached=True)
    keras.utils.set_random_seed(seed)
    model = build_domain_classifier(input_size, seed=seed)
    summary = train_domain_classifier(model, make_batches(), steps, seed=seed,
                                      progress=progress)
    os.makedirs(cache_dir, exist_ok=True)
    model.save(model_path)
    info = {"key": key, "train": summary}
    with open(info_path, "w") as f:
        json.dump(info, f, indent=2, sort_keys=True)
    return DomainClassifier(model), dict(info, cached=False)


def training_batches(data_config, image_size, batch_size=16, seed=0,
                     cache_bytes=CACHE_BYTES):
    """`(real_a, real_b)` batches of trainA / trainB, repeated, shuffled and flipped.

    Images are resized whole to `image_size`, exactly as the test images are (not the
    zoom-and-crop of U-GAT-IT's training augmentation: a classifier trained on zoomed
    images misjudges the sharper test images). Kept in memory below `cache_bytes`.
    """
    from ugatit_tf.data import build_eval_dataset

    domains = []
    for i, domain in enumerate("AB"):
        ds = build_eval_dataset(data_config, image_size, split="train", domain=domain)
        n = int(ds.cardinality())
        ds = ds.map(lambda image, name: image)
        if 0 <= n * image_size * image_size * 3 * 4 <= cache_bytes:
            ds = ds.cache()
        ds = ds.shuffle(max(1, min(n, 2000)) if n > 0 else 1000, seed=2 * seed + i)
        ds = ds.repeat().map(tf.image.random_flip_left_right)
        domains.append(ds.batch(batch_size, drop_remainder=True))
    return tf.data.Dataset.zip(tuple(domains)).prefetch(tf.data.AUTOTUNE)


def classifier_for_dataset(data_config, image_size, cache_dir, steps=DEFAULT_STEPS,
                           input_size=DEFAULT_INPUT_SIZE, batch_size=16, seed=0,
                           progress=False):
    """The domain classifier of a dataset: trained on its trainA/trainB, cached.

    Args:
        data_config: the `config.data` ConfigDict or dict (dataset, data_root, ...).
        image_size: training images are resized to this size, as the test images are,
            then by the classifier to `input_size`.
        cache_dir: cache directory (the evaluation directory of a work dir).
        steps, input_size, seed, progress: see `load_or_train`.
        batch_size: images per domain and step.

    Returns:
        `(DomainClassifier, info)` as `load_or_train`.
    """
    dataset = data_config.get("dataset", "synthetic")
    key = {"dataset": dataset, "image_size": image_size, "batch_size": batch_size}
    if dataset == "synthetic":
        key.update(synthetic_size=data_config.get("synthetic_size"),
                   synthetic_seed=data_config.get("synthetic_seed", 0))
    elif not dataset.startswith("tfds:"):
        key["data_root"] = os.path.abspath(data_config.get("data_root", "dataset"))
    return load_or_train(
        cache_dir, key, lambda: training_batches(data_config, image_size, batch_size, seed),
        steps, input_size=input_size, seed=seed, progress=progress)
