"""NearestUpsample2x: shared checks and equality with np.repeat."""

import numpy as np
import tensorflow as tf
from testing import run_layer_checks

from ugatit_tf.layers import NearestUpsample2x

IMAGES = np.random.default_rng(0).standard_normal((2, 3, 5, 4)).astype(np.float32)


def test_shared_checks():
    run_layer_checks(lambda **kw: NearestUpsample2x(**kw), IMAGES, float32_statistics=True)


def test_equals_np_repeat():
    want = np.repeat(np.repeat(IMAGES, 2, axis=1), 2, axis=2)
    np.testing.assert_array_equal(np.asarray(NearestUpsample2x()(IMAGES)), want)


def test_equals_nearest_resize_with_dynamic_shape():
    layer = NearestUpsample2x()
    fn = tf.function(layer, input_signature=[tf.TensorSpec((None, None, None, 4))])
    want = tf.image.resize(IMAGES, (6, 10), method="nearest")
    np.testing.assert_array_equal(np.asarray(fn(IMAGES)), want.numpy())
