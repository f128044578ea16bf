"""Inception-v3 pool features (2048-d) for KID and FID.

The network is `keras.applications.InceptionV3(include_top=False, pooling="avg")`. Its
ImageNet weights cannot be downloaded on an offline machine, so they come from a local
file (`--inception_weights=<path>`), or from the Keras cache if a previous
`weights="imagenet"` call already downloaded them. Images in [-1, 1] (this project's
convention, and also what `inception_v3.preprocess_input` produces) are resized to
299x299 by bilinear interpolation, the same function for real and translated images.

Scores are comparable between runs of this code, but not digit for digit with papers
that used the TF1 `pool_3` graph (inception-2015-12-05, as in the TTUR, torch-fidelity and
clean-fid code): the Keras weights are a different training of the same architecture.
"""

import os

import keras
import tensorflow as tf

INPUT_SIZE = 299
FEATURE_DIM = 2048
WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/" + (
    WEIGHTS_FILE)
MISSING_WEIGHTS_HELP = (
    "KID and FID need ImageNet Inception-v3 weights. Download the Keras no-top file "
    f"{WEIGHTS_URL} on a machine with internet access and pass "
    f"--inception_weights=<path to {WEIGHTS_FILE}> (or put it in ~/.keras/models/).")


class InceptionWeightsError(ValueError):
    """No usable Inception-v3 weights; the message says what to pass."""


def cached_weights_path():
    """The Keras cache location of the ImageNet no-top weights (may not exist)."""
    home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return os.path.join(home, "models", WEIGHTS_FILE)


def resolve_weights(weights):
    """Turns the `--inception_weights` value into a path, `None` (random) or an error.

    Args:
        weights: a path to a weights file; `"imagenet"` or `""`/`None` for the Keras cache;
            `"random"` for random initialisation (tests and smoke runs only).

    Raises:
        InceptionWeightsError: nothing usable, with the command-line fix in the message.
    """
    if weights == "random":
        return None
    if weights in (None, "", "imagenet"):
        path = cached_weights_path()
        if os.path.isfile(path):
            return path
        raise InceptionWeightsError(f"No cached ImageNet weights at {path}. {MISSING_WEIGHTS_HELP}")
    if not os.path.isfile(weights):
        raise InceptionWeightsError(
            f"--inception_weights={weights}: no such file. {MISSING_WEIGHTS_HELP}")
    return weights


def resize_for_inception(images):
    """Resizes a batch `[N, H, W, 3]` in [-1, 1] to 299x299 (bilinear), kept in [-1, 1]."""
    images = tf.image.resize(tf.cast(images, tf.float32), (INPUT_SIZE, INPUT_SIZE), "bilinear")
    return tf.clip_by_value(images, -1.0, 1.0)


class InceptionFeatures:
    """Maps image batches in [-1, 1] to Inception-v3 average-pool features `[N, 2048]`.

    Args:
        weights: a weights path, `"imagenet"`/`None` (Keras cache) or `"random"`;
            see `resolve_weights`.
    """

    name = "inception"

    def __init__(self, weights=None):
        path = resolve_weights(weights)
        try:
            self.model = keras.applications.InceptionV3(
                include_top=False, pooling="avg", weights=path,
                input_shape=(INPUT_SIZE, INPUT_SIZE, 3))
        except (ValueError, OSError) as e:
            raise InceptionWeightsError(
                f"Could not load Inception-v3 weights from {path}: {e}. The file must hold "
                f"the no-top (include_top=False) weights. {MISSING_WEIGHTS_HELP}") from e
        self.weights_path = path
        self._features = tf.function(
            lambda x: self.model(resize_for_inception(x), training=False),
            reduce_retracing=True)

    def __call__(self, images):
        return self._features(images)
