"""Errors raised when a dataset cannot be found or holds no usable image."""

from ugatit_tf.app_errors import UserError

LAYOUT = "<data_root>/<name>/{trainA,trainB,testA,testB}"


class DatasetError(UserError):
    """A dataset name, folder or file list that cannot be used for training or evaluation."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """The dataset (a folder, a sub-folder or TFDS data) does not exist."""
