"""Folder datasets in the official layout `<data_root>/<name>/{trainA,trainB,testA,testB}`.

Every file of a domain folder is validated up front (`decode.check_image`, on a thread
pool); unreadable or non-image files are skipped with one warning that names and counts
them. Hidden files (".DS_Store", ...) and sub-folders are ignored.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import tensorflow as tf
from absl import logging

from ugatit_tf.data import decode
from ugatit_tf.data.errors import LAYOUT, DatasetError, DatasetNotFoundError
from ugatit_tf.data.source import Source

_MAX_LISTED = 20  # file names spelled out in a warning


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


def list_files(folder):
    """Sorted paths of the regular, non-hidden files in `folder`."""
    if not os.path.isdir(folder):
        raise DatasetNotFoundError(
            f"{folder} is not a directory. A folder dataset needs the layout {LAYOUT}.")
    with os.scandir(folder) as entries:
        paths = sorted(e.path for e in entries if e.is_file() and not e.name.startswith("."))
    if not paths:
        raise DatasetError(
            f"{folder} is empty: it holds no image file. A folder dataset needs images in "
            f"each of {LAYOUT}.")
    return paths


def validate_files(paths, folder, num_threads=None):
    """The readable images among `paths`; warns about the others, fails if none is left."""
    num_threads = num_threads or min(32, (os.cpu_count() or 1) * 4)
    with ThreadPoolExecutor(num_threads) as pool:
        reasons = list(pool.map(decode.check_image, paths))
    good = [p for p, r in zip(paths, reasons) if r is None]
    bad = [(os.path.basename(p), r) for p, r in zip(paths, reasons) if r is not None]
    if bad:
        listed = ", ".join(f"{n} ({r})" for n, r in bad[:_MAX_LISTED])
        more = f" and {len(bad) - _MAX_LISTED} more" if len(bad) > _MAX_LISTED else ""
        logging.warning("Skipping %d of %d files in %s that are not readable images: %s%s",
                        len(bad), len(paths), folder, listed, more)
    if not good:
        raise DatasetError(
            f"{folder} has no usable image: all {len(paths)} files are unreadable or not "
            f"images ({bad[0][0]}: {bad[0][1]}).")
    return good


def folder_source(data_root, name, split, domain, min_size=None):
    """The `Source` of `<data_root>/<name>/<split><domain>`, e.g. `dataset/cat2dog/trainA`.

    Args:
        min_size: passed to `decode.load_rgb` (JPEGs are decoded at a reduced scale when
            both sides stay >= min_size).
    """
    folder = os.path.join(dataset_dir(data_root, name), f"{split}{domain}")
    paths = validate_files(list_files(folder), folder)
    return Source(
        keys=tf.data.Dataset.from_tensor_slices(paths),
        decode=lambda path: decode.decode_file(path, min_size),
        names=tuple(os.path.basename(p) for p in paths),
        description=folder)
