"""TFDS `cycle_gan/<config>`: a tiny dataset prepared by TFDS itself, and the offline error."""

import numpy as np
import pytest
import tensorflow_datasets as tfds
from data_helpers import data_config, solid, write_folder_dataset

from ugatit_tf.data import DatasetNotFoundError, build_eval_dataset, build_train_dataset


@pytest.fixture(scope="module")
def tfds_dir(tmp_path_factory):
    """A TFDS data dir holding cycle_gan/horse2zebra prepared from 3 local images a split.

    Only the download is replaced (by a local folder in the official zip's layout); the
    TFDS builder writes its real TFRecord files.
    """
    raw = tmp_path_factory.mktemp("raw")
    images = {f"{i}.jpg": solid((40 * i + 20, 90, 160), size=(40, 30)) for i in range(3)}
    write_folder_dataset(raw, name="horse2zebra", images=images)
    data_dir = tmp_path_factory.mktemp("tfds")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tfds.download.DownloadManager, "download_and_extract",
                      lambda self, url: str(raw))
        tfds.builder("cycle_gan/horse2zebra", data_dir=str(data_dir)).download_and_prepare()
    return str(data_dir)


def test_prepared_tfds_dataset(tfds_dir):
    config = data_config(dataset="tfds:horse2zebra", tfds_data_dir=tfds_dir,
                         tfds_download=False)
    real_a, real_b = next(iter(build_train_dataset(config, 16, 4)))
    for images in (real_a.numpy(), real_b.numpy()):
        assert images.shape == (4, 16, 16, 3) and images.dtype == np.float32
        assert images.min() >= -1 and images.max() <= 1
    items = list(build_eval_dataset(config, 16, domain="B"))
    assert [n.numpy() for _, n in items] == [b"000000.png", b"000001.png", b"000002.png"]
    reds = sorted(round(float((i.numpy()[..., 0].mean() + 1) * 127.5)) for i, _ in items)
    np.testing.assert_allclose(reds, [20, 60, 100], atol=3)


def test_missing_data_without_download(tmp_path):
    config = data_config(dataset="tfds:apple2orange", tfds_data_dir=str(tmp_path),
                         tfds_download=False)
    with pytest.raises(DatasetNotFoundError) as info:
        build_train_dataset(config, 16, 1)
    message = str(info.value)
    assert "cycle_gan/apple2orange" in message and f"TFDS data dir {tmp_path}" in message
    assert "download_and_prepare()" in message and "--dataset apple2orange" in message


def test_failed_download_is_explained(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise ConnectionError("Failed to establish a new connection")

    monkeypatch.setattr(tfds, "load", offline)
    config = data_config(dataset="tfds:horse2zebra", tfds_data_dir=str(tmp_path))
    with pytest.raises(DatasetNotFoundError, match="ConnectionError: Failed to establish") as info:
        build_eval_dataset(config, 16)
    assert f"TFDS data dir {tmp_path}" in str(info.value)
    assert "Without internet, prepare it offline" in str(info.value)
