"""Input pipelines: folder, TFDS and built-in synthetic datasets for U-GAT-IT."""

from ugatit_tf.data.augment import eval_preprocess, train_augment
from ugatit_tf.data.decode import load_rgb, to_rgb_array
from ugatit_tf.data.errors import LAYOUT, DatasetError, DatasetNotFoundError
from ugatit_tf.data.pipeline import build_eval_dataset, build_train_dataset, make_source
from ugatit_tf.data.synthetic import render as render_synthetic

__all__ = [
    "LAYOUT", "DatasetError", "DatasetNotFoundError", "build_eval_dataset",
    "build_train_dataset", "eval_preprocess", "load_rgb", "make_source", "render_synthetic",
    "to_rgb_array", "train_augment",
]
