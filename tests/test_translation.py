"""Translation jobs: one default output folder each, and a progress line."""

import os

import numpy as np
import tensorflow as tf
from PIL import Image

from ugatit_tf import translation


class IdentityTask:  # a task whose translation is its input
    def translate(self, direction, images):
        return {"image": tf.convert_to_tensor(images)}


def test_default_output_folders():
    # The test split: where the official --phase test writes, for train.py and translate.py.
    assert translation.default_output_dir("w") == os.path.join("w", "test")
    # A folder: its own per name and direction, so a second job does not overwrite.
    assert translation.default_output_dir("w", "photos/", "b2a") == os.path.join(
        "w", "translations", "photos_b2a")
    assert translation.default_output_dir("w", "photos", "a2b") != \
        translation.default_output_dir("w", "photos", "b2a")


def test_folder_translation_shows_progress_lines(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.full((20, 20, 3), 40 * i, np.uint8)).save(folder / f"{i}.png")
    count = translation.translate_folder(IdentityTask(), 16, str(folder),
                                         str(tmp_path / "out"), batch_size=2)
    assert count == 3 and len(os.listdir(tmp_path / "out")) == 3
    out = capsys.readouterr().out  # not a terminal: plain lines, the first and the last
    lines = out.splitlines()
    assert lines[0].startswith("a2b 2/3 (67%) | ") and lines[-1].startswith("a2b 3/3 (100%)")
    assert "\r" not in out
    translation.translate_folder(IdentityTask(), 16, str(folder), str(tmp_path / "quiet"),
                                 progress=False)
    assert capsys.readouterr().out == ""
