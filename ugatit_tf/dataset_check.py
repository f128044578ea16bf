"""The dataset errors and the up-front dataset check, free of TensorFlow.

`check_dataset` runs in the apps before TensorFlow is imported and before any model is
built, so a missing folder dataset is reported in about a second at small memory.
"""

import os

from ugatit_tf.app_errors import UserError

LAYOUT = "<data_root>/<name>/{trainA,trainB,testA,testB}"
TFDS_PREFIX = "tfds:"


class DatasetError(UserError):
    """A dataset name, folder or file list that cannot be used for training or evaluation."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """The dataset (a folder, a sub-folder or TFDS data) does not exist."""


def dataset_dir(data_root, name):
    """`<data_root>/<name>`, checked to exist."""
    path = os.path.join(data_root, name)
    if not os.path.isdir(path):
        where = path if os.path.isabs(path) else f"{path} ({os.path.abspath(path)})"
        raise DatasetNotFoundError(
            f"Dataset {name!r} not found: {where} is not a directory. Expected a folder "
            f"dataset laid out as {LAYOUT} (data_root={data_root!r}), a TFDS CycleGAN "
            f"name such as 'tfds:horse2zebra', or 'synthetic'.")
    return path


def check_dataset(data_config, splits=("train", "test")):
    """Raises DatasetNotFoundError when a folder dataset or one of its split folders is missing.

    Only the folders are checked (the images are validated when the pipeline lists them);
    the synthetic data always exists and TFDS data is found or downloaded by TFDS.
    """
    name = data_config.get("dataset", "synthetic")
    if name == "synthetic" or name.startswith(TFDS_PREFIX):
        return
    root = dataset_dir(data_config.get("data_root", "dataset"), name)
    missing = [f"{split}{domain}" for split in splits for domain in "AB"
               if not os.path.isdir(os.path.join(root, f"{split}{domain}"))]
    if missing:
        raise DatasetNotFoundError(
            f"Dataset {name!r} at {root} has no {', '.join(missing)} folder; a folder "
            f"dataset is laid out as {LAYOUT}.")
