"""A small CNN that tells domain A from domain B: an offline translation metric.

Trained in seconds to minutes on a CPU on the training images (trainA labelled 0, trainB
labelled 1), it gives two numbers for a translation direction, say A->B:

* **translation accuracy**: the share of translated test images A->B that the classifier
  assigns to B (and B->A outputs assigned to A). It asks "does the output carry the
  features that separate the two domains?", the question a human judge asks first.
* **classifier KID**: KID (`metrics.kid`) between the classifier's penultimate features
  (`FEATURE_LAYER`) of the translations and of the real target test images.

Limits, to read the numbers honestly:

* The classifier only knows what separates A from B *in its training data*; it says
  nothing about image quality, realism or whether the content of the input is preserved.
  A generator that pastes a texture typical of B onto every output can score 100%.
* Images unlike both domains (noise, blank or broken outputs) are classified arbitrarily:
  a broken generator can score anywhere between 0% and 100%. Read the accuracy together
  with the classifier KID, the KID/FID and the sample images.
* The ceiling is the classifier's own accuracy on the real test images (reported as
  `real_target_accuracy`); the floor, the share of *untranslated* source images already
  classified as the target (`source_as_target`). A translation accuracy near the ceiling
  means the classifier cannot tell translations from real target images by their label.
* It is trained from scratch on the training split at a low resolution: on small or
  hard datasets (e.g. ants vs bees, ~120 images per domain) its own accuracy is modest,
  and scores are only comparable between models evaluated with the same cached classifier.
"""

import json
import os

import keras
import numpy as np
import tensorflow as tf

FEATURE_LAYER = "features"
MODEL_FILE = "domain_classifier.keras"
INFO_FILE = "domain_classifier.json"


def build_domain_classifier(input_size=64, filters=(32, 64, 128, 256), feature_dim=128,
                            seed=0):
    """The classifier: resize, four conv/BN/ReLU stride-2 stages, GAP, features, logit.

    Args:
        input_size: images of any size are resized to this (bilinear) first.
        filters: channels of the stride-2 stages.
        feature_dim: width of the penultimate (`FEATURE_LAYER`) Dense layer.
        seed: weight-initialisation seed.

    Returns:
        A `keras.Model` mapping images `[N, H, W, 3]` in [-1, 1] to the logit of domain B `[N]`.
    """
    if input_size < 16:
        raise ValueError(f"input_size must be >= 16, got {input_size}.")
    init = keras.initializers.HeNormal(seed=seed)
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Resizing(input_size, input_size, "bilinear")(inputs)
    for i, f in enumerate(filters):
        x = keras.layers.Conv2D(f, 3, strides=2, padding="same", use_bias=False,
                                kernel_initializer=init, name=f"conv{i}")(x)
        x = keras.layers.BatchNormalization(name=f"bn{i}")(x)
        x = keras.layers.ReLU()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(feature_dim, activation="relu", kernel_initializer=init,
                           name=FEATURE_LAYER)(x)
    x = keras.layers.Dropout(0.3, seed=seed)(x)
    logit = keras.layers.Dense(1, name="logit")(x)
    logit = keras.layers.Reshape(())(logit)
    return keras.Model(inputs, logit, name="domain_classifier")


def train_domain_classifier(model, batches, steps, learning_rate=1e-3, log_every=0):
    """Trains `model` on `(real_a, real_b)` batches: A labelled 0, B labelled 1.

    Args:
        model: from `build_domain_classifier`.
        batches: an iterator (or iterable) of `(real_a, real_b)` image batches in [-1, 1].
        steps: optimisation steps, one pair of batches each.
        learning_rate: Adam learning rate, cosine-decayed to 0 over `steps`.
        log_every: print the running loss and accuracy every this many steps (0: never).

    Returns:
        `{"loss": ..., "accuracy": ...}` averaged over the last 10% of the steps.
    """
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, max(steps, 1))
    optimizer = keras.optimizers.Adam(schedule)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function(reduce_retracing=True)
    def step(a, b):
        x = tf.concat([a, b], 0)
        y = tf.concat([tf.zeros(tf.shape(a)[0]), tf.ones(tf.shape(b)[0])], 0)
        with tf.GradientTape() as tape:
            logit = model(x, training=True)
            loss = loss_fn(y, logit)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss, tf.reduce_mean(tf.cast(tf.equal(tf.cast(logit > 0, tf.float32), y),
                                            tf.float32))

    iterator = iter(batches)
    tail = max(1, steps // 10)
    history = []
    for i in range(steps):
        a, b = next(iterator)
        loss, acc = step(tf.convert_to_tensor(a, tf.float32), tf.convert_to_tensor(b, tf.float32))
        history.append((float(loss), float(acc)))
        if log_every and (i + 1) % log_every == 0:
            recent = np.mean(history[-log_every:], axis=0)
            print(f"domain classifier step {i + 1}/{steps}: loss {recent[0]:.4f}, "
                  f"train accuracy {recent[1]:.3f}", flush=True)
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
        """Logit of domain B, `[N]`, for images `[N, H, W, 3]` in [-1, 1]."""
        return self._logit(images)

    def features(self, images):
        """Penultimate features `[N, feature_dim]`, for the classifier KID."""
        return self._features(images)


def domain_accuracy(logits, domain):
    """Share of images classified as `domain` ("A" or "B") given their B-logits."""
    if domain not in ("A", "B"):
        raise ValueError(f"domain must be 'A' or 'B', got {domain!r}.")
    is_b = np.asarray(logits) > 0
    return float(np.mean(is_b if domain == "B" else ~is_b))


def load_or_train(cache_dir, key, make_batches, steps, input_size=64, seed=0, log_every=0):
    """Loads the classifier cached in `cache_dir`, or trains and caches it.

    The cache is reused only if its recorded `key` (dataset, image size, steps, ...) equals
    this one; otherwise the classifier is retrained and overwritten.

    Args:
        cache_dir: where `domain_classifier.keras` and `domain_classifier.json` live.
        key: a JSON-serialisable dict identifying the training set-up.
        make_batches: a callable returning the `(real_a, real_b)` batch iterator.
        steps, input_size, seed, log_every: see `build_domain_classifier` and
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
    summary = train_domain_classifier(model, make_batches(), steps, log_every=log_every)
    os.makedirs(cache_dir, exist_ok=True)
    model.save(model_path)
    info = {"key": key, "train": summary}
    with open(info_path, "w") as f:
        json.dump(info, f, indent=2, sort_keys=True)
    return DomainClassifier(model), dict(info, cached=False)
