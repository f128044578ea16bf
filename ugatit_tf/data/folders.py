"""Folder datasets in the official layout `<data_root>/<name>/{trainA,trainB,testA,testB}`.

`list_images` lists a folder of images: every entry that cannot be an image file is
skipped and named with its reason (a sub-folder, a symlink loop, a dangling symlink, a
FIFO or device, a name that is not valid UTF-8, which TensorFlow's string tensors could
not carry), every remaining file is validated (`decode.check_image`, on a thread pool),
and one warning names and counts everything skipped. Hidden files (".DS_Store", ...) are
ignored without a word.
"""

import errno
import os
import stat
from concurrent.futures import ThreadPoolExecutor

import tensorflow as tf
from absl import logging

from ugatit_tf.data import decode
from ugatit_tf.data.errors import LAYOUT, DatasetError, DatasetNotFoundError
from ugatit_tf.data.source import Source
from ugatit_tf.dataset_check import dataset_dir

_MAX_LISTED = 20  # file names spelled out in a warning
DATASET_LAYOUT = f"A folder dataset needs images in each of {LAYOUT}."


def printable_name(name):
    """A file name as it can be printed (undecodable bytes as \\x escapes)."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _entry_problem(entry):
    """None if the directory entry is a regular file that may be an image, else why not."""
    try:
        entry.name.encode("utf-8")
    except UnicodeEncodeError:
        return "its name is not valid UTF-8; rename it"
    try:
        mode = entry.stat().st_mode  # follows symlinks
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "a symlink loop"
        if entry.is_symlink() and e.errno == errno.ENOENT:
            return f"a dangling symlink (to {printable_name(os.readlink(entry.path))})"
        return f"cannot be read ({e.strerror})"
    if stat.S_ISDIR(mode):
        return "a folder (sub-folders are not read)"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    return None


def scan_folder(folder, layout=DATASET_LAYOUT):
    """The candidate image files of `folder` and the entries skipped.

    Args:
        folder: the folder to list.
        layout: what the folder should be, for the messages.

    Returns:
        `(sorted paths, [(printable name, reason), ...])`.
    """
    if not os.path.isdir(folder):
        raise DatasetNotFoundError(f"{folder} is not a directory. {layout}")
    paths, skipped = [], []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            problem = _entry_problem(entry)
            if problem is None:
                paths.append(entry.path)
            else:
                skipped.append((printable_name(entry.name), problem))
    return sorted(paths), sorted(skipped)


def list_files(folder, layout=DATASET_LAYOUT):
    """Sorted paths of the regular, non-hidden files in `folder` (see `scan_folder`)."""
    paths, skipped = scan_folder(folder, layout)
    if skipped:
        _warn_skipped(skipped, len(paths) + len(skipped), folder)
    if not paths:
        _raise_empty(folder, skipped, layout)
    return paths


def _raise_empty(folder, skipped, layout):
    if skipped:
        raise DatasetError(
            f"{folder} has no usable image: all {len(skipped)} entries were skipped "
            f"({skipped[0][0]}: {skipped[0][1]}). {layout}")
    raise DatasetError(f"{folder} is empty: it holds no image file. {layout}")


def _warn_skipped(skipped, total, folder):
    listed = ", ".join(f"{n} ({r})" for n, r in skipped[:_MAX_LISTED])
    more = f" and {len(skipped) - _MAX_LISTED} more" if len(skipped) > _MAX_LISTED else ""
    logging.warning("Skipping %d of %d files in %s that are not readable images: %s%s",
                    len(skipped), total, folder, listed, more)


def validate_files(paths, folder, num_threads=None, skipped=(), layout=DATASET_LAYOUT):
    """The readable images among `paths`; warns about the others and the `skipped`
    entries of the listing (one warning), fails if no image is left."""
    num_threads = num_threads or min(32, (os.cpu_count() or 1) * 4)
    with ThreadPoolExecutor(num_threads) as pool:
        reasons = list(pool.map(decode.check_image, paths))
    good = [p for p, r in zip(paths, reasons) if r is None]
    bad = sorted([*skipped, *((printable_name(os.path.basename(p)), r)
                              for p, r in zip(paths, reasons) if r is not None)])
    if bad:
        _warn_skipped(bad, len(paths) + len(skipped), folder)
    if not good:
        if not paths:
            _raise_empty(folder, bad, layout)
        raise DatasetError(
            f"{folder} has no usable image: all {len(bad)} files are unreadable or not "
            f"images ({bad[0][0]}: {bad[0][1]}).")
    return good


def list_images(folder, layout=DATASET_LAYOUT):
    """The readable images of `folder`, sorted; one warning names and counts every
    entry skipped (`scan_folder`, `decode.check_image`).

    Raises:
        DatasetNotFoundError: `folder` is not a directory.
        DatasetError: it holds no readable image.
    """
    paths, skipped = scan_folder(folder, layout)
    return validate_files(paths, folder, skipped=skipped, layout=layout)


def folder_source(data_root, name, split, domain, min_size=None):
    """The `Source` of `<data_root>/<name>/<split><domain>`, e.g. `dataset/cat2dog/trainA`.

    Args:
        min_size: passed to `decode.load_rgb` (JPEGs are decoded at a reduced scale when
            both sides stay >= min_size).
    """
    folder = os.path.join(dataset_dir(data_root, name), f"{split}{domain}")
    paths = list_images(folder)
    return Source(
        keys=tf.data.Dataset.from_tensor_slices(paths),
        decode=lambda path: decode.decode_file(path, min_size),
        names=tuple(os.path.basename(p) for p in paths),
        description=folder)
