"""Decoding image files of any mode into 8-bit RGB with Pillow.

Pillow decodes everything (JPEG, PNG, GIF, BMP, TIFF, WebP, ...) so that the files that
pass validation are exactly the files the pipeline can read, and so that every mode gets
the same conversion: L/LA/1, RGBA (alpha dropped, as the official PyTorch code's
`convert("RGB")`), P/PA, CMYK, YCbCr and 16/32-bit integer or float images (rescaled to
8 bits, which `convert("RGB")` does not do). Pillow releases the GIL while decoding, so a
parallel `tf.data` map over `tf.numpy_function` decodes on several cores.
"""

import numpy as np
import tensorflow as tf
from PIL import Image, ImageOps, UnidentifiedImageError

_HIGH_DEPTH_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")


def _high_depth_to_uint8(image):
    """Single-channel 16/32-bit or float images to uint8, scaled (not clipped)."""
    a = np.asarray(image).astype(np.float64)
    if image.mode == "F":
        if a.size and a.max() <= 1.0:
            a = a * 255.0
    elif image.mode.startswith("I;16") or (a.size and a.max() > 255):
        a = a / 257.0  # 0..65535 -> 0..255
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


def to_rgb_array(image):
    """A Pillow image of any mode as a uint8 array [H, W, 3]."""
    if image.mode in _HIGH_DEPTH_MODES:
        gray = _high_depth_to_uint8(image)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if image.mode in ("P", "PA") and "transparency" in image.info:
        image = image.convert("RGBA")  # the palette's transparency is then dropped below
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.asarray(image, dtype=np.uint8)


def load_rgb(path, min_size=None):
    """Reads an image file as uint8 RGB [H, W, 3], upright as image viewers show it.

    An EXIF orientation (phone photos: orientation 6 is "rotate 90 degrees clockwise to
    view") is applied with Pillow's `exif_transpose`.

    Args:
        path: file path (str or bytes).
        min_size: when set, a JPEG is decoded at the smallest DCT scale (1/2, 1/4, 1/8)
            whose both sides are still >= `min_size`, which is much faster for large
            photos that are resized down afterwards anyway.
    """
    if isinstance(path, bytes):
        path = path.decode()
    with Image.open(path) as image:
        if min_size and image.format == "JPEG":
            image.draft(image.mode, (min_size, min_size))
        return to_rgb_array(ImageOps.exif_transpose(image))


def check_image(path):
    """Returns None if `path` is a readable image, else the reason it is not (a str).

    Pillow's `verify()` checks the header (and the chunk CRCs of a PNG); a decode at a
    reduced JPEG scale then catches truncated or broken image data.
    """
    try:
        with Image.open(path) as image:
            image.verify()
        load_rgb(path, min_size=32)
    except UnidentifiedImageError:
        return "not an image Pillow can identify"
    except Exception as e:  # noqa: BLE001 - any failure means "not usable"
        return f"{type(e).__name__}: {e}"
    return None


def decode_file(path, min_size=None):
    """Graph op: `load_rgb` on a scalar string tensor; returns uint8 [H, W, 3]."""
    image = tf.numpy_function(
        lambda p: load_rgb(p, min_size), [path], tf.uint8, stateful=False, name="load_rgb")
    image.set_shape([None, None, 3])
    return image
