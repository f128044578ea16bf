"""Errors raised when a dataset cannot be found or holds no usable image.

Defined in `ugatit_tf.dataset_check` (importable without TensorFlow), re-exported here.
"""

from ugatit_tf.dataset_check import LAYOUT, DatasetError, DatasetNotFoundError

__all__ = ["LAYOUT", "DatasetError", "DatasetNotFoundError"]
