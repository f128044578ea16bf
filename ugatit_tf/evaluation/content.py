"""Content preservation: does each translation keep its own source's colours and layout?

The domain classifier's translation accuracy cannot see content: a generator that returns
the same good-looking target image for every input scores 100% there. This metric asks
the opposite question. Each source test image and each translation is reduced to a
`THUMBNAIL_SIZE`^2 colour thumbnail (area average: the layout of colours, no texture);
a source *matches* when its own translation is strictly the nearest (L2) of all the
translations of the test set. The **content match** is the share of sources that match.

* A generator that ignores its input (all translations alike) scores 0%: every distance
  ties, and a tie is no match. One that maps inputs to unrelated outputs scores ~1/N.
* The identity scores 100% (it keeps everything, the domain included): read this metric
  together with the translation accuracy, never alone.
* It assumes that the translation keeps the colours and positions of the scene, as
  U-GAT-IT's cycle and identity losses ask on the built-in data (the outlines come or
  go, palette and layout stay); on datasets where a translation recolours the whole
  image (summer2winter), a low score is expected.
"""

import numpy as np
import tensorflow as tf

THUMBNAIL_SIZE = 8


def thumbnails(images, size=THUMBNAIL_SIZE):
    """`[N, H, W, 3]` images -> `[N, size * size * 3]` area-averaged colour thumbnails."""
    images = tf.convert_to_tensor(images, tf.float32)
    if images.shape.rank != 4 or images.shape[-1] != 3:
        raise ValueError(f"Expected images [N, H, W, 3], got shape {images.shape}.")
    small = tf.image.resize(images, (size, size), method="area")
    return tf.reshape(small, (tf.shape(small)[0], -1)).numpy()


def content_match(source_thumbnails, translated_thumbnails):
    """Share of sources whose own translation is strictly the nearest translation.

    Args:
        source_thumbnails: `[N, D]` thumbnails of the source images.
        translated_thumbnails: `[N, D]`, row i the translation of source i.

    Returns:
        A float in [0, 1].
    """
    src = np.asarray(source_thumbnails, np.float64)
    fake = np.asarray(translated_thumbnails, np.float64)
    if src.ndim != 2 or src.shape != fake.shape or len(src) < 2:
        raise ValueError("Content match needs two [N, D] arrays of the same shape, N >= 2, "
                         f"got {src.shape} and {fake.shape}.")
    distances = ((src[:, None, :] - fake[None, :, :]) ** 2).sum(-1)
    own = np.diag(distances).copy()
    np.fill_diagonal(distances, np.inf)
    return float(np.mean(own < distances.min(axis=1)))
