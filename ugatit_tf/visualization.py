"""Sample grids: rows of images (and CAM heatmaps) as the official code draws them."""

import numpy as np
from PIL import Image


def to_uint8(image):
    """[-1, 1] float image(s) -> uint8."""
    return np.clip(np.round((np.asarray(image) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def jet(x):
    """OpenCV's COLORMAP_JET for values in [0, 1] -> float RGB in [0, 1]."""
    x = np.clip(np.asarray(x, np.float32), 0.0, 1.0)
    channel = lambda offset: np.clip(1.5 - np.abs(4.0 * x - offset), 0.0, 1.0)
    return np.stack([channel(3.0), channel(2.0), channel(1.0)], axis=-1)


def heatmap_image(heatmap, size):
    """A CAM heatmap `[h, w, 1]` min-max scaled, resized to `size`, jet-coloured, uint8."""
    h = np.asarray(heatmap, np.float32)[..., 0]
    h = h - h.min()
    h = h / max(float(h.max()), 1e-12)
    resized = Image.fromarray(h).resize((size[1], size[0]), Image.BILINEAR)
    return np.round(jet(np.asarray(resized)) * 255.0).astype(np.uint8)


def translation_strip(real, gen_ab, gen_ba):
    """The official 7-tile column for one direction, as uint8 `[7 * H, W, 3]`.

    Rows: real, heatmap of G_BA(real), identity G_BA(real), heatmap of G_AB(real),
    the translation G_AB(real), heatmap of G_BA(fake), the cycle G_BA(G_AB(real)).
    A generator without CAM (heatmap None) has no heatmap rows: 4 tiles when neither
    has one.

    Args:
        real: `[N, H, W, 3]` in [-1, 1].
        gen_ab, gen_ba: generators returning `(image, cam_logit, heatmap)`.

    Returns:
        uint8 `[T * H, N * W, 3]`, one column of T tiles per image.
    """
    identity, _, identity_heat = gen_ba(real)
    fake, _, fake_heat = gen_ab(real)
    cycle, _, cycle_heat = gen_ba(fake)
    size = real.shape[1:3]
    columns = []
    for i in range(real.shape[0]):
        rows = [(None, real), (identity_heat, identity), (fake_heat, fake),
                (cycle_heat, cycle)]
        tiles = []
        for heat, images in rows:
            if heat is not None:
                tiles.append(heatmap_image(heat[i], size))
            tiles.append(to_uint8(images[i]))
        columns.append(np.concatenate(tiles, axis=0))
    return np.concatenate(columns, axis=1)


def grid(rows):
    """A sample grid from a task's `sample_rows`: a list of `[N, H, W, 3]` arrays in
    [0, 1] -> uint8 `[len(rows) * H, N * W, 3]`, one column per image."""
    stacked = np.stack([np.asarray(r, np.float32) for r in rows])  # [R, N, H, W, 3]
    r, n, h, w, c = stacked.shape
    pixels = np.clip(np.round(stacked * 255.0), 0, 255).astype(np.uint8)
    return pixels.transpose(0, 2, 1, 3, 4).reshape(r * h, n * w, c)


def save_png(array, path):
    Image.fromarray(array).save(path)
