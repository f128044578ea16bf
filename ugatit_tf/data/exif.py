"""The EXIF orientation of JPEG bytes, read and applied with TensorFlow ops.

For graphs that decode images themselves (the SavedModel's bytes signatures), where
Pillow's `ImageOps.exif_transpose` (used by `decode.load_rgb`) cannot run:
`tf.io.decode_image` ignores the orientation, so a phone photo stored sideways with
"orientation 6" would be translated sideways. Only JPEG's APP1 "Exif" segment is read
(where cameras and phones write it); other formats keep orientation 1.
"""

import tensorflow as tf

ORIENTATION_TAG = 0x0112
_HEAD = 1 << 17  # bytes searched: the APP segments before the EXIF one, and IFD0
_MAX_SEGMENTS = 16  # markers walked before giving up (JFIF, EXIF, XMP, ICC, ...)
_MAX_ENTRIES = 64  # IFD0 entries read (orientation is among the first few)


def _read(head, pos, size, little=False):
    """Unsigned integer(s) of `size` bytes at `pos` (scalar or vector) of `head`."""
    pos = tf.clip_by_value(pos, 0, _HEAD - size)
    lengths = tf.fill(tf.shape(pos), tf.constant(size, pos.dtype))
    raw = tf.io.decode_raw(tf.strings.substr(tf.fill(tf.shape(pos), head), pos, lengths),
                           tf.uint8)
    raw = tf.cast(raw, tf.int64)
    little_weights = tf.constant([256 ** i for i in range(size)], tf.int64)
    big_weights = tf.constant([256 ** (size - 1 - i) for i in range(size)], tf.int64)
    value_le = tf.reduce_sum(raw * little_weights, axis=-1)
    value_be = tf.reduce_sum(raw * big_weights, axis=-1)
    return tf.where(little, value_le, value_be)


def orientation(data):
    """The EXIF orientation (1..8) of encoded image bytes (a scalar string); 1 when the
    bytes are not a JPEG, carry no EXIF or no valid orientation."""
    head = tf.strings.substr(tf.strings.join([data, tf.constant(b"\0" * _HEAD)]), 0, _HEAD)
    is_jpeg = tf.equal(tf.strings.substr(head, 0, 2), b"\xff\xd8")

    def marker_at(pos):
        return _read(head, pos, 2)

    def keep_walking(i, pos, tiff):
        marker = marker_at(pos)
        return ((i < _MAX_SEGMENTS) & (tiff < 0) & (pos < _HEAD - 16)
                & (marker >= 0xFF01) & (marker != 0xFFDA))  # a marker, before the scan

    def next_segment(i, pos, tiff):
        is_exif = (tf.equal(marker_at(pos), 0xFFE1)
                   & tf.equal(tf.strings.substr(head, tf.cast(pos, tf.int32) + 4, 6),
                              b"Exif\0\0"))
        tiff = tf.where(is_exif, pos + 10, tiff)
        return i + 1, pos + 2 + _read(head, pos + 2, 2), tiff

    _, _, tiff = tf.while_loop(
        keep_walking, next_segment,
        (tf.constant(0), tf.constant(2, tf.int64), tf.constant(-1, tf.int64)))
    little = tf.equal(tf.strings.substr(head, tf.cast(tf.maximum(tiff, 0), tf.int32), 2),
                      b"II")
    ifd = tiff + _read(head, tiff + 4, 4, little)
    count = _read(head, ifd, 2, little)
    entries = ifd + 2 + 12 * tf.range(_MAX_ENTRIES, dtype=tf.int64)
    tags = _read(head, entries, 2, little)
    values = _read(head, entries + 8, 2, little)
    found = tf.equal(tags, ORIENTATION_TAG) & (tf.range(_MAX_ENTRIES, dtype=tf.int64) < count)
    value = tf.reduce_max(tf.where(found, values, 0))
    valid = is_jpeg & (tiff >= 0) & (value >= 1) & (value <= 8)
    return tf.cast(tf.where(valid, value, 1), tf.int32)


def apply_orientation(pixels, value):
    """`pixels` [H, W, C] as viewers show them for EXIF orientation `value` (1..8), the
    transposes of Pillow's `exif_transpose`."""
    transposed = lambda: tf.transpose(pixels, [1, 0, 2])
    branches = [
        lambda: pixels,  # 1: upright
        lambda: tf.reverse(pixels, [1]),  # 2: mirrored
        lambda: tf.image.rot90(pixels, 2),  # 3: upside down
        lambda: tf.reverse(pixels, [0]),  # 4: mirrored upside down
        transposed,  # 5
        lambda: tf.image.rot90(pixels, 3),  # 6: turn 90 degrees clockwise to view
        lambda: tf.image.rot90(transposed(), 2),  # 7
        lambda: tf.image.rot90(pixels, 1),  # 8: turn 90 degrees counter-clockwise
    ]
    return tf.switch_case(tf.clip_by_value(value, 1, 8) - 1, branches)
