"""Helpers of the data tests: configs and small image folders made with Pillow (a module
of its own: `from conftest import` would find another folder's conftest when several
test folders run in one call)."""

from pathlib import Path

import ml_collections
import numpy as np
from PIL import Image

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def data_config(**overrides):
    """A `config.data` like configs/default.py's, with `overrides`."""
    config = ml_collections.ConfigDict(
        dict(dataset="synthetic", data_root="dataset", batch_size=1, shuffle_buffer=1000,
             synthetic_size=1000))
    for key, value in overrides.items():
        config[key] = value
    return config


def solid(colour, size=(24, 16)):
    """A uint8 RGB array [H, W, 3] of one colour (size is (width, height))."""
    return np.full((size[1], size[0], 3), colour, np.uint8)


def write_folder_dataset(root, name="toy", images=None, splits=("trainA", "trainB",
                                                                 "testA", "testB")):
    """Writes `<root>/<name>/<split>/*.png`; `images` maps file name -> uint8 array."""
    images = images or {f"{i:02d}.png": solid((20 * i, 100, 200 - 20 * i)) for i in range(4)}
    for split in splits:
        folder = Path(root) / name / split
        folder.mkdir(parents=True, exist_ok=True)
        for file_name, array in images.items():
            Image.fromarray(array).save(folder / file_name)
    return Path(root) / name
