"""`Source`: one domain of one split of a dataset, before decoding and augmentation."""

import dataclasses
from collections.abc import Callable

import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class Source:
    """A finite, ordered set of images of one domain.

    Attributes:
        keys: a finite `tf.data.Dataset` with one cheap element per image (a file path,
            an index or the encoded bytes), in a stable order; shuffling happens on keys.
        decode: maps one key to a uint8 image tensor [H, W, 3] (H, W may vary).
        names: one stable file name per image, in the order of `keys`.
        description: where the images come from, for messages.
    """

    keys: tf.data.Dataset
    decode: Callable[[tf.Tensor], tf.Tensor]
    names: tuple[str, ...]
    description: str

    def __len__(self):
        return len(self.names)
