"""translation_strip: the official 7-tile column, and 4 tiles for generators without CAM."""

import numpy as np
import pytest

from ugatit_tf import visualization
from ugatit_tf.models import UGATITGenerator

SIZE = 16


def generators(use_cam):
    return tuple(UGATITGenerator(4, 1, image_size=SIZE, light=True, use_cam=use_cam)
                 for _ in range(2))


@pytest.mark.parametrize("use_cam, tiles", [(True, 7), (False, 4)], ids=["cam", "no_cam"])
def test_strip_rows(use_cam, tiles):
    real = np.random.default_rng(0).uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32)
    gen_ab, gen_ba = generators(use_cam)
    strip = visualization.translation_strip(real, gen_ab, gen_ba)
    assert strip.dtype == np.uint8 and strip.shape == (tiles * SIZE, 2 * SIZE, 3)
    # Image rows (the real input first, the cycle last) sit where the official strip has
    # them; with CAM each follows its heatmap.
    fake = np.asarray(gen_ab(real)[0])
    cycle = np.asarray(gen_ba(fake)[0])
    rows = {"real": 0, "fake": 4, "cycle": 6} if use_cam else {"real": 0, "fake": 2, "cycle": 3}
    for name, images in (("real", real), ("fake", fake), ("cycle", cycle)):
        tile = strip[rows[name] * SIZE:(rows[name] + 1) * SIZE, :SIZE]
        np.testing.assert_array_equal(tile, visualization.to_uint8(images[0]), err_msg=name)
