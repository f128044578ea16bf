"""EXIF orientation is applied as image viewers apply it (item 10)."""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from ugatit_tf import translation
from ugatit_tf.data import decode

ORIENTATION = 0x0112


def phone_photo(path, orientation):
    """A 40x20 (landscape as stored) JPEG, left half red, right half blue, with an EXIF
    orientation tag."""
    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:, :20] = (255, 0, 0)
    pixels[:, 20:] = (0, 0, 255)
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    Image.fromarray(pixels).save(path, exif=exif.tobytes(), quality=95)
    return path


def test_orientation_6_is_shown_upright(tmp_path):
    """Orientation 6: the viewer rotates 90 degrees clockwise; red ends up on top."""
    rgb = decode.load_rgb(str(phone_photo(tmp_path / "p.jpg", 6)))
    assert rgb.shape == (40, 20, 3)  # portrait, as viewers show it
    assert rgb[5, 10, 0] > 200 and rgb[5, 10, 2] < 50  # top: red
    assert rgb[35, 10, 2] > 200 and rgb[35, 10, 0] < 50  # bottom: blue


@pytest.mark.parametrize("orientation, shape", [(1, (20, 40, 3)), (3, (20, 40, 3)),
                                                (8, (40, 20, 3))])
def test_other_orientations(tmp_path, orientation, shape):
    rgb = decode.load_rgb(str(phone_photo(tmp_path / "p.jpg", orientation)))
    assert rgb.shape == shape
    if orientation == 3:  # rotated 180 degrees: blue on the left
        assert rgb[10, 5, 2] > 200


def test_reduced_jpeg_decode_keeps_the_orientation(tmp_path):
    rgb = decode.load_rgb(str(phone_photo(tmp_path / "p.jpg", 6)), min_size=8)
    assert rgb.shape[0] > rgb.shape[1]


def test_translate_keep_size_follows_the_orientation(tmp_path):
    """translate.py reads through the same decode: --keep_size gives the upright size."""
    folder = tmp_path / "in"
    folder.mkdir()
    phone_photo(folder / "p.jpg", 6)

    class Identity:
        light = True

        def __call__(self, images):
            return tf.convert_to_tensor(images), None, None

    class Nets:
        gen_a2b = gen_b2a = Identity()

        def generator_pair(self, direction):
            return self.gen_a2b, self.gen_b2a

    translation.translate_folder(Nets(), 16, str(folder), str(tmp_path / "out"),
                                 keep_size=True)
    assert Image.open(tmp_path / "out" / "p.png").size == (20, 40)  # (width, height)
