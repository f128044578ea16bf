"""The built-in synthetic dataset: two domains that differ in one local property, an outline.

- Both domains: one or two flat shapes (ellipses, triangles, squares, pentagons), each in
  one of six saturated `PALETTE` colours, on a plain light background with faint noise.
- Domain A: the shapes as they are.
- Domain B: the same kind of shapes, each with a dark outline along the inside of its
  border (`OUTLINE` wide, in normalised units).

Shapes, sizes, positions, rotations and colours come from the same distributions in both
domains, drawn from the random stream in the same order: the outline is the only
difference (`scene` + `paint` render one scene in either domain), so a translation keeps
the colours and layout that the content match (`ugatit_tf.evaluation.content`) compares.

Why this task suits a short CPU demo of U-GAT-IT: the generator's encoder
instance-normalises every channel, so the absolute colour of a flat region reaches the
decoder only as a prior learnt from the data. A small palette on a fixed background is a
prior learnt quickly (random colours are not, and a generator that cannot reconstruct its
input produces mush). And a convolutional generator can draw only what its input
localises: an outline follows the object's edge (a few pixels of context), whereas a
texture inside a flat region (stripes, a checker) has no phase in the input to follow.

Each image is rendered from its own random stream `(seed, split, domain, index)`, so the
data is deterministic and independent of the order it is rendered in; rendering is in
normalised coordinates, so a resolution changes the sharpness, not the content.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import tensorflow as tf

from ugatit_tf.data.source import Source

TEST_SIZE = 100  # images per domain of the "test" split
_SPLITS = {"train": 0, "test": 1}
_DOMAINS = {"A": 0, "B": 1}

BACKGROUND = np.array([0.85, 0.83, 0.78])
PALETTE = np.array([[0.85, 0.2, 0.2], [0.2, 0.65, 0.25], [0.2, 0.35, 0.85],
                    [0.95, 0.75, 0.1], [0.7, 0.25, 0.75], [0.15, 0.7, 0.75]])
OUTLINE_COLOUR = np.array([0.1, 0.1, 0.12])
OUTLINE = 0.055  # outline width, a fraction of the image side (~1.8 px at 32 px)
RADIUS = (0.17, 0.27)  # object size, a fraction of the image side
NOISE = 0.015  # std of the per-pixel noise


def scene(rng):
    """The random content of one image, the same for both domains: a list of objects."""
    objects = []
    for _ in range(rng.integers(1, 3)):
        radius = rng.uniform(*RADIUS)
        objects.append(dict(
            radius=radius, centre=rng.uniform(radius * 0.7, 1 - radius * 0.7, 2),
            angle=rng.uniform(0, 2 * np.pi), colour=PALETTE[rng.integers(len(PALETTE))],
            sides=int(rng.choice([0, 3, 4, 5], p=[0.4, 0.2, 0.25, 0.15])),
            aspect=rng.uniform(0.65, 1.0)))
    return objects


def _signed_distance(obj, x, y):
    """Signed distance (normalised units, negative inside) of an ellipse (`sides` 0) or a
    regular polygon, about the same area."""
    dx, dy = x - obj["centre"][0], y - obj["centre"][1]
    c, s = np.cos(obj["angle"]), np.sin(obj["angle"])
    u, v = c * dx + s * dy, -s * dx + c * dy
    a = obj["radius"]
    if obj["sides"] == 0:
        b = a * obj["aspect"]
        return (np.sqrt((u / a) ** 2 + (v / b) ** 2) - 1.0) * b
    normals = 2 * np.pi * np.arange(obj["sides"]) / obj["sides"]
    apothem = 1.2 * a * np.cos(np.pi / obj["sides"])
    return np.max([u * np.cos(n) + v * np.sin(n) - apothem for n in normals], axis=0)


def paint(objects, domain, resolution):
    """The float image [resolution, resolution, 3] in [0, 1] of a `scene` in `domain`."""
    if domain not in _DOMAINS:
        raise ValueError(f"Unknown domain {domain!r} of the synthetic data.")
    y, x = (np.mgrid[0:resolution, 0:resolution] + 0.5) / resolution
    image = np.broadcast_to(BACKGROUND, (resolution, resolution, 3))
    for obj in objects:
        distance = _signed_distance(obj, x, y)
        fill = np.broadcast_to(obj["colour"], image.shape)
        if domain == "B":
            line = np.clip(0.5 - (-OUTLINE - distance) * resolution, 0, 1)[..., None]
            fill = fill * (1 - line) + OUTLINE_COLOUR * line
        coverage = np.clip(0.5 - distance * resolution, 0, 1)[..., None]
        image = image * (1 - coverage) + fill * coverage
    return image


def render(domain, index, resolution, seed=0, split="train"):
    """One synthetic image as uint8 [resolution, resolution, 3]."""
    rng = np.random.default_rng([seed, _SPLITS[split], _DOMAINS[domain], int(index)])
    image = paint(scene(rng), domain, resolution)
    image = image + rng.normal(0, NOISE, image.shape)
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
