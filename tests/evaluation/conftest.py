"""Small synthetic two-domain data for the evaluation tests."""

import types

import numpy as np
import pytest

IMAGE_SIZE = 32
TEST_IMAGES = 48


def _image(rng, domain, size):
    # Stand-in until ugatit_tf.data lands: A = plain disks, B = striped squares.
    yy, xx = np.mgrid[0:size, 0:size] / size
    img = rng.uniform(-0.8, -0.2, 3)[None, None] + 0.1 * rng.normal(size=(size, size, 3))
    cx, cy = rng.uniform(0.3, 0.7, 2)
    r = rng.uniform(0.15, 0.3)
    color = rng.uniform(0.2, 1.0, 3)
    if domain == "A":
        mask = (xx - cx) ** 2 + (yy - cy) ** 2 < r**2
        img[mask] = color
    else:
        mask = (abs(xx - cx) < r) & (abs(yy - cy) < r)
        stripes = (np.sin(xx * size * 0.8) > 0)[..., None]
        img[mask] = np.where(stripes, color, -color)[mask]
    return np.clip(img, -1, 1).astype(np.float32)


def train_batches(batch_size=16, seed=0):
    rng = np.random.default_rng(seed)
    while True:
        yield tuple(np.stack([_image(rng, d, IMAGE_SIZE) for _ in range(batch_size)])
                    for d in "AB")


def test_arrays(domain):
    rng = np.random.default_rng({"A": 101, "B": 202}[domain])
    return np.stack([_image(rng, domain, IMAGE_SIZE) for _ in range(TEST_IMAGES)])


@pytest.fixture(scope="session")
def synthetic():
    """Training batches, test arrays and the classifier cache key of the test data."""
    return types.SimpleNamespace(
        image_size=IMAGE_SIZE, train_batches=train_batches, test_arrays=test_arrays,
        key={"dataset": "synthetic-test", "image_size": IMAGE_SIZE}, steps=150)
