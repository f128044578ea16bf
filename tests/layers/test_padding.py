"""ReflectionPad2D: shared checks, equality with numpy's reflect padding, bad arguments."""

import numpy as np
import pytest
from testing import run_layer_checks

from ugatit_tf.layers import ReflectionPad2D

IMAGES = np.random.default_rng(0).standard_normal((2, 5, 7, 3)).astype(np.float32)


@pytest.mark.parametrize("padding", [1, 3])
def test_shared_checks(padding):
    run_layer_checks(lambda **kw: ReflectionPad2D(padding, **kw), IMAGES,
                     float32_statistics=True)


@pytest.mark.parametrize("padding", [0, 1, 2, 4])
def test_matches_numpy_reflect(padding):
    want = np.pad(IMAGES, [(0, 0), (padding, padding), (padding, padding), (0, 0)],
                  mode="reflect")
    np.testing.assert_array_equal(np.asarray(ReflectionPad2D(padding)(IMAGES)), want)


@pytest.mark.parametrize("padding", [-1, 1.5, "1"])
def test_bad_padding(padding):
    with pytest.raises(ValueError, match="padding must be a non-negative int"):
        ReflectionPad2D(padding)


def test_input_smaller_than_padding_is_rejected_with_the_size_needed():
    with pytest.raises(ValueError, match=r"padding=5\) needs a height and width of at least 6"):
        ReflectionPad2D(5)(IMAGES)
