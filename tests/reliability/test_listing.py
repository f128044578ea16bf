"""The folder listing skips and names every unusable entry, with its reason (item 5)."""

import logging
import os

import ml_collections
import numpy as np
import pytest
from PIL import Image

from ugatit_tf.data import DatasetError, build_train_dataset, folders


def image(path, colour=(200, 30, 30), size=(12, 10)):
    Image.fromarray(np.full((size[1], size[0], 3), colour, np.uint8)).save(path)


@pytest.fixture
def zoo(tmp_path):
    """A folder with two good images and one of each kind of unusable entry."""
    folder = tmp_path / "trainA"
    folder.mkdir()
    image(folder / "a.png")
    image(folder / "b.jpg")
    os.symlink("loop2", folder / "loop1")
    os.symlink("loop1", folder / "loop2")
    os.symlink("gone.png", folder / "dangling.png")
    os.symlink(folder / "a.png", folder / "link_to_a.png")  # a good link is kept
    (folder / "sub").mkdir()
    image(folder / "sub" / "nested.png")
    os.mkfifo(folder / "pipe.png")  # opening it would block the listing forever
    bad_name = os.fsdecode(b"caf\xe9.png")  # Latin-1 bytes, not UTF-8
    image(os.path.join(os.fsencode(folder), b"caf\xe9.png"))
    (folder / "notes.txt").write_text("not an image")
    (folder / ".DS_Store").write_bytes(b"\0")  # hidden: ignored without a word
    return folder, bad_name


def test_every_unusable_entry_is_named_with_its_reason(zoo, caplog):
    folder, _ = zoo
    with caplog.at_level(logging.WARNING):
        paths = folders.list_images(str(folder))
    assert [os.path.basename(p) for p in paths] == ["a.png", "b.jpg", "link_to_a.png"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    message = warnings[0]
    assert "Skipping 7 of 10 files in" in message
    for expected in ["loop1 (a symlink loop)", "loop2 (a symlink loop)",
                     "dangling.png (a dangling symlink (to gone.png))",
                     "sub (a folder (sub-folders are not read))",
                     "pipe.png (not a regular file)",
                     "caf\\xe9.png (its name is not valid UTF-8; rename it)", "notes.txt ("]:
        assert expected in message, (expected, message)
    assert ".DS_Store" not in message


def test_the_training_pipeline_reads_the_zoo(zoo, tmp_path):
    folder, _ = zoo
    for split in ("trainB", "testA", "testB"):
        (tmp_path / split).mkdir()
        image(tmp_path / split / "x.png")
    config = ml_collections.ConfigDict(dict(dataset=tmp_path.name,
                                            data_root=str(tmp_path.parent),
                                            shuffle_buffer=4))
    real_a, real_b = next(iter(build_train_dataset(config, 8, 2)))
    assert real_a.shape == (2, 8, 8, 3) and real_b.shape == (2, 8, 8, 3)


def test_folder_of_only_unusable_entries(tmp_path):
    folder = tmp_path / "testA"
    folder.mkdir()
    os.symlink("nowhere", folder / "x.png")
    (folder / "sub").mkdir()
    with pytest.raises(DatasetError, match=r"has no usable image: all 2 entries were "
                                           r"skipped \(sub: a folder"):
        folders.list_images(str(folder))
