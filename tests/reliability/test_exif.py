"""EXIF orientation is applied as image viewers apply it (item 10): in training and
translation (Pillow) and in the serving graph (`ugatit_tf.data.exif`)."""

import io
import struct

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image, ImageOps

from ugatit_tf import translation
from ugatit_tf.data import decode, exif

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

    class IdentityTask:  # a task whose translation is its input
        def translate(self, direction, images):
            return {"image": tf.convert_to_tensor(images)}

    translation.translate_folder(IdentityTask(), 16, str(folder), str(tmp_path / "out"),
                                 keep_size=True)
    assert Image.open(tmp_path / "out" / "p.png").size == (20, 40)  # (width, height)


def jpeg_bytes(orientation, size=(40, 20)):
    path = io.BytesIO()
    pixels = np.random.default_rng(0).integers(0, 256, (size[1], size[0], 3), np.uint8)
    exif = Image.Exif()
    if orientation:
        exif[ORIENTATION] = orientation
    Image.fromarray(pixels).save(path, "JPEG", exif=exif.tobytes(), quality=95)
    return path.getvalue()


def big_endian_exif_jpeg(orientation):
    """A JPEG whose EXIF is big-endian ("MM", as some cameras write it)."""
    tiff = (b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1)
            + struct.pack(">HHIHH", ORIENTATION, 3, 1, orientation, 0) + b"\0\0\0\0")
    app1 = b"Exif\0\0" + tiff
    plain = jpeg_bytes(None)
    return plain[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + plain[2:]


@pytest.mark.parametrize("orientation", range(1, 9))
def test_graph_ops_read_and_apply_the_orientation_as_pillow(orientation):
    """The serving graph's EXIF ops (`data.exif`) against Pillow's exif_transpose."""
    data = jpeg_bytes(orientation)
    assert int(exif.orientation(tf.constant(data))) == orientation
    upright = exif.apply_orientation(tf.io.decode_jpeg(data, channels=3), orientation)
    want = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))
    assert upright.shape == want.shape
    # TF's and Pillow's JPEG decoders differ by ~1.5 of 255 on average (orientation 1
    # too); a wrong transpose of random pixels differs by ~85.
    assert float(np.mean(np.abs(upright.numpy().astype(int) - want))) < 4


@pytest.mark.parametrize("data, expected", [
    (big_endian_exif_jpeg(6), 6), (big_endian_exif_jpeg(9), 1), (jpeg_bytes(None), 1),
    (b"\xff\xd8\xff\xe1\x00", 1), (b"", 1), (b"\x89PNG\r\n\x1a\n", 1),
], ids=["big-endian", "out of range", "no orientation", "truncated", "empty", "png"])
def test_orientation_of_other_bytes(data, expected):
    assert int(tf.function(exif.orientation)(tf.constant(data))) == expected
