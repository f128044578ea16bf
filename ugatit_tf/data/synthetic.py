"""The built-in synthetic dataset: two domains that differ in shape and texture.

- Domain A: one or two round blobs (ellipses), smoothly shaded (radial or linear).
- Domain B: one or two angular shapes (triangles, squares, pentagons) with a coarse checker
  or dotted texture.

The textures alone tell the domains apart (A has no sharp edges inside the object, B is
made of them), so a translator that only repaints the object in the target texture is
already recognisable, as a short CPU demo needs; the shapes differ as well.

Both domains share the colour, position, size and background distributions (a two-colour
gradient at a random angle plus faint noise), so a translator must change shape and
texture, not the palette: the generator's CAM attention has to find the object and the
AdaLIN statistics have to carry the texture. Each image is rendered from its own random
stream `(seed, split, domain, index)`, so the data is deterministic and independent of the
order it is rendered in; rendering is in normalised coordinates, so a
resolution changes the sharpness, not the content.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import tensorflow as tf

from ugatit_tf.data.source import Source

TEST_SIZE = 100  # images per domain of the "test" split
_SPLITS = {"train": 0, "test": 1}
_DOMAINS = {"A": 0, "B": 1}


def _colour(rng, avoid=None, min_distance=0.6):
    """A random RGB colour in [0, 1], far (L1) from `avoid` when given."""
    for _ in range(20):
        c = rng.uniform(0.0, 1.0, 3)
        if avoid is None or np.abs(c - avoid).sum() >= min_distance:
            break
    return c


def _background(rng, x, y):
    c0, c1 = _colour(rng), _colour(rng)
    angle = rng.uniform(0, 2 * np.pi)
    t = np.clip((x - 0.5) * np.cos(angle) + (y - 0.5) * np.sin(angle) + 0.5, 0, 1)
    return c0 + (c1 - c0) * t[..., None], (c0 + c1) / 2


def _rotate(x, y, cx, cy, angle):
    dx, dy = x - cx, y - cy
    c, s = np.cos(angle), np.sin(angle)
    return c * dx + s * dy, -s * dx + c * dy


def _round_shape(rng, u, v, radius):
    """Signed distance (normalised units) of an ellipse in local coordinates u, v."""
    a, b = radius, radius * rng.uniform(0.65, 1.0)
    return (np.sqrt((u / a) ** 2 + (v / b) ** 2) - 1.0) * b


def _angular_shape(rng, u, v, radius):
    """Signed distance of a regular triangle, square or pentagon (circumradius `radius`)."""
    sides = int(rng.choice([3, 4, 5], p=[0.4, 0.4, 0.2]))
    radius = radius * 1.2  # about the area of the round shapes
    normals = 2 * np.pi * np.arange(sides) / sides
    apothem = radius * np.cos(np.pi / sides)
    dist = [u * np.cos(n) + v * np.sin(n) - apothem for n in normals]
    return np.max(dist, axis=0)


def _texture(rng, domain, u, v, radius, c0, c1):
    """Colour [H, W, 3] of the object's texture, in the object's local coordinates."""
    # Coarse (a few squares across an object, >= 6 px each at 32 px): a texture that a
    # briefly trained generator can draw, and that survives a small image size.
    period = rng.uniform(0.2, 0.28)
    kind = rng.integers(2)
    if domain == "A" and kind == 0:  # smooth radial shading
        t = np.clip(np.sqrt(u**2 + v**2) / radius, 0, 1) ** 1.5
    elif domain == "A":  # smooth linear shading across the object
        t = np.clip(0.5 + 0.5 * u / radius, 0, 1)
    elif kind == 0:  # checker
        t = (np.sin(np.pi * u / period) * np.sin(np.pi * v / period) > 0).astype(np.float64)
    else:  # dots on a lattice
        du = (u / period + 0.5) % 1.0 - 0.5
        dv = (v / period + 0.5) % 1.0 - 0.5
        t = (np.sqrt(du**2 + dv**2) < 0.3).astype(np.float64)
    return c0 + (c1 - c0) * t[..., None]


def render(domain, index, resolution, seed=0, split="train"):
    """One synthetic image as uint8 [resolution, resolution, 3]."""
    rng = np.random.default_rng([seed, _SPLITS[split], _DOMAINS[domain], int(index)])
    y, x = (np.mgrid[0:resolution, 0:resolution] + 0.5) / resolution
    image, bg_mean = _background(rng, x, y)
    shape_fn = _round_shape if domain == "A" else _angular_shape
    for _ in range(rng.integers(1, 3)):
        radius = rng.uniform(0.22, 0.34)
        cx, cy = rng.uniform(radius * 0.7, 1 - radius * 0.7, 2)
        u, v = _rotate(x, y, cx, cy, rng.uniform(0, 2 * np.pi))
        c0 = _colour(rng, avoid=bg_mean)
        c1 = _colour(rng, avoid=c0)
        coverage = np.clip(0.5 - shape_fn(rng, u, v, radius) * resolution, 0, 1)[..., None]
        texture = _texture(rng, domain, u, v, radius, c0, c1)
        image = image * (1 - coverage) + texture * coverage
    image = image + rng.normal(0, 0.015, image.shape)
    return np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)


def synthetic_source(split, domain, size, resolution, seed=0):
    """The `Source` of `size` synthetic images of `domain` ("A" or "B") and `split`.

    The images are rendered up front (threads; about 1.5 ms each at 64 px, 14 ms at 256)
    and held in memory: no Python runs inside the `tf.data` pipeline, which would make an
    interpreter exit wait on an in-flight `tf.numpy_function`.
    """
    if split not in _SPLITS or domain not in _DOMAINS:
        raise ValueError(f"Unknown split/domain {split!r}/{domain!r} of the synthetic data.")
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        images = np.stack(list(pool.map(
            lambda i: render(domain, i, resolution, seed, split), range(size))))
    images = tf.constant(images)
    return Source(
        keys=tf.data.Dataset.range(size),
        decode=lambda index: tf.gather(images, index),
        names=tuple(f"{i:06d}.png" for i in range(size)),
        description=f"synthetic {split}{domain} ({size} images, seed {seed})")
