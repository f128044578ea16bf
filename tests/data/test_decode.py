"""Every image mode becomes 8-bit RGB with the right colours; broken files are detected."""

import io

import numpy as np
import pytest
import tensorflow as tf
from data_helpers import SHARED_DATA
from PIL import Image

from ugatit_tf.data import decode


def _two_halves(mode, left, right, size=(8, 4)):
    """An image of `mode` whose left half is `left` and right half `right`."""
    image = Image.new(mode, size, left)
    image.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return image


def _save(tmp_path, image, name, **kwargs):
    path = tmp_path / name
    image.save(path, **kwargs)
    return str(path)


def _halves(rgb):
    return [rgb[0, 0].tolist(), rgb[0, -1].tolist()]


@pytest.mark.parametrize("mode,left,right,expected_left,expected_right,name", [
    ("L", 77, 200, [77] * 3, [200] * 3, "gray.png"),
    ("LA", (77, 10), (200, 255), [77] * 3, [200] * 3, "gray_alpha.png"),
    ("RGBA", (10, 200, 30, 128), (250, 5, 90, 0), [10, 200, 30], [250, 5, 90], "rgba.png"),
    ("CMYK", (0, 255, 0, 0), (255, 255, 0, 0), [255, 0, 255], [0, 0, 255], "cmyk.tif"),
    ("1", 0, 1, [0] * 3, [255] * 3, "bilevel.png"),
])
def test_modes_become_rgb(tmp_path, mode, left, right, expected_left, expected_right, name):
    path = _save(tmp_path, _two_halves(mode, left, right), name)
    rgb = decode.load_rgb(path)
    assert rgb.dtype == np.uint8 and rgb.shape == (4, 8, 3)
    assert _halves(rgb) == [expected_left, expected_right]


def test_cmyk_jpeg(tmp_path):
    image = _two_halves("CMYK", (255, 0, 0, 0), (0, 0, 255, 0), size=(32, 16))
    rgb = decode.load_rgb(_save(tmp_path, image, "cmyk.jpg", quality=95))
    np.testing.assert_allclose(rgb[8, 4], [0, 255, 255], atol=8)  # cyan
    np.testing.assert_allclose(rgb[8, 28], [255, 255, 0], atol=8)  # yellow


@pytest.mark.parametrize("transparency", [False, True])
def test_palette(tmp_path, transparency):
    image = Image.new("P", (8, 4), 0)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    image.paste(1, (4, 0, 8, 4))
    kwargs = {"transparency": 1} if transparency else {}
    rgb = decode.load_rgb(_save(tmp_path, image, "palette.png", **kwargs))
    assert rgb.shape == (4, 8, 3)
    assert _halves(rgb) == [[255, 0, 0], [0, 0, 255]]


def test_16_bit_grayscale_is_scaled(tmp_path):
    values = np.array([[0, 128 * 257, 65535, 1000]], np.uint16)
    path = _save(tmp_path, Image.fromarray(values), "deep.png")
    assert Image.open(path).mode.startswith("I")
    rgb = decode.load_rgb(path)
    assert rgb.shape == (1, 4, 3)
    np.testing.assert_array_equal(rgb[0, :, 0], [0, 128, 255, 4])
    np.testing.assert_array_equal(rgb[..., 0], rgb[..., 2])


def test_float_mode(tmp_path):
    image = Image.fromarray(np.array([[0.0, 0.5, 1.0]], np.float32))
    rgb = decode.load_rgb(_save(tmp_path, image, "float.tif"))
    np.testing.assert_array_equal(rgb[0, :, 1], [0, 128, 255])


def test_draft_decodes_large_jpeg_smaller_but_not_below_min_size(tmp_path):
    path = _save(tmp_path, Image.new("RGB", (800, 600), (10, 20, 30)), "big.jpg")
    assert decode.load_rgb(path).shape == (600, 800, 3)
    small = decode.load_rgb(path, min_size=100)
    assert small.shape == (150, 200, 3)


def test_decode_file_graph_op(tmp_path):
    path = _save(tmp_path, _two_halves("L", 10, 20), "gray.png")
    image = tf.function(decode.decode_file)(tf.constant(path))
    assert image.dtype == tf.uint8 and image.shape == (4, 8, 3)


def test_check_image(tmp_path):
    good = _save(tmp_path, Image.new("RGB", (64, 64), (1, 2, 3)), "good.jpg")
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(
        buffer, "JPEG")
    truncated_jpeg = tmp_path / "truncated.jpg"
    truncated_jpeg.write_bytes(buffer.getvalue()[:600])
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (9, 9, 9)).save(buffer, "PNG")
    truncated_png = tmp_path / "truncated.png"
    truncated_png.write_bytes(buffer.getvalue()[:-30])
    assert decode.check_image(good) is None
    for bad in (text, truncated_jpeg, truncated_png):
        assert decode.check_image(str(bad)) is not None, bad


def test_shared_palette_gif_becomes_rgb():
    path = SHARED_DATA / "ants2bees" / "trainA" / "imageNotFound.gif"
    assert path.exists(), f"shared test data not found at {path}"
    assert Image.open(path).mode == "P"
    rgb = decode.load_rgb(str(path))
    assert rgb.ndim == 3 and rgb.shape[2] == 3 and rgb.dtype == np.uint8
