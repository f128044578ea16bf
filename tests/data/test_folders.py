"""Bad folder input stops with a clear message; unreadable files are skipped and reported."""

import logging
import os

import numpy as np
import pytest
from data_helpers import data_config, solid, write_folder_dataset

from ugatit_tf.data import (
    LAYOUT,
    DatasetError,
    DatasetNotFoundError,
    build_eval_dataset,
    build_train_dataset,
)


def test_missing_dataset_folder(tmp_path):
    config = data_config(dataset="cat2dog", data_root=str(tmp_path))
    with pytest.raises(DatasetNotFoundError) as info:
        build_train_dataset(config, 16, 1)
    message = str(info.value)
    assert os.path.join(str(tmp_path), "cat2dog") in message
    assert LAYOUT in message and "tfds:" in message and "synthetic" in message
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, ValueError)


def test_unknown_name_with_default_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    expected = os.path.join(str(tmp_path), "dataset", "horse2zebra")
    with pytest.raises(DatasetError, match=r"dataset/horse2zebra \(.*\) is not a dir") as info:
        build_train_dataset(data_config(dataset="horse2zebra"), 16, 1)
    assert expected in str(info.value)


def test_missing_domain_folder(tmp_path):
    write_folder_dataset(tmp_path, splits=("trainA", "testA", "testB"))
    config = data_config(dataset="toy", data_root=str(tmp_path))
    missing = os.path.join(str(tmp_path), "toy", "trainB")
    with pytest.raises(DatasetNotFoundError, match=f"{missing} is not a directory") as info:
        build_train_dataset(config, 16, 1)
    assert LAYOUT in str(info.value)


def test_empty_domain_folder(tmp_path):
    write_folder_dataset(tmp_path, splits=("trainA", "trainB", "testA"))
    empty = tmp_path / "toy" / "testB"
    empty.mkdir()
    (empty / ".DS_Store").write_bytes(b"\0")  # hidden files do not count
    config = data_config(dataset="toy", data_root=str(tmp_path))
    with pytest.raises(DatasetError, match=f"{empty} is empty") as info:
        build_eval_dataset(config, 16, domain="B")
    assert LAYOUT in str(info.value)


def test_corrupt_files_are_skipped_with_a_warning(tmp_path, caplog):
    root = write_folder_dataset(tmp_path)
    (root / "trainA" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 definitely not a jpeg")
    (root / "trainA" / "readme.txt").write_text("hello")
    config = data_config(dataset="toy", data_root=str(tmp_path))
    with caplog.at_level(logging.WARNING):
        dataset = build_train_dataset(config, 16, 2)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "Skipping 2 of 6 files in" in warnings[0]
    assert str(root / "trainA") in warnings[0]
    assert "broken.jpg" in warnings[0] and "readme.txt" in warnings[0]
    real_a, _ = next(iter(dataset))
    assert real_a.shape == (2, 16, 16, 3)


def test_corrupt_files_are_skipped_in_eval(tmp_path):
    root = write_folder_dataset(tmp_path)
    (root / "testA" / "00a.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    config = data_config(dataset="toy", data_root=str(tmp_path))
    names = [n.numpy().decode() for _, n in build_eval_dataset(config, 16)]
    assert names == ["00.png", "01.png", "02.png", "03.png"]


def test_domain_without_usable_image(tmp_path):
    root = write_folder_dataset(tmp_path, splits=("trainA", "testA", "testB"))
    (root / "trainB").mkdir()
    for name in ("a.jpg", "b.png"):
        (root / "trainB" / name).write_bytes(b"garbage")
    config = data_config(dataset="toy", data_root=str(tmp_path))
    with pytest.raises(DatasetError, match=f"{root / 'trainB'} has no usable image: all 2"):
        build_train_dataset(config, 16, 1)


def test_unknown_tfds_config():
    with pytest.raises(DatasetError, match=r"Unknown TFDS dataset 'tfds:cat2dog'.*horse2zebra"):
        build_train_dataset(data_config(dataset="tfds:cat2dog"), 16, 1)


def test_eval_names_are_sorted_file_names(tmp_path):
    images = {name: solid((i * 40, 0, 0)) for i, name in enumerate(["b.png", "a.jpg", "c.bmp"])}
    write_folder_dataset(tmp_path, images=images)
    config = data_config(dataset="toy", data_root=str(tmp_path))
    items = [(img.numpy(), n.numpy().decode()) for img, n in build_eval_dataset(config, 8)]
    assert [n for _, n in items] == ["a.jpg", "b.png", "c.bmp"]
    reds = [float(np.mean(img[..., 0])) for img, _ in items]  # a=40, b=0, c=80 in [0, 255]
    np.testing.assert_allclose(reds, [40 / 127.5 - 1, -1, 80 / 127.5 - 1], atol=0.02)
