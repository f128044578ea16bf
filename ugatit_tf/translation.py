"""Translating images with trained generators: folders, and the test split.

Where translations go by default, one place per job (`train.py --phase test` and
`translate.py` share them):

* the test split: `<workdir>/test/{A2B,B2A}/` (the official `--phase test`'s `test/`);
* a folder: `<workdir>/translations/<folder name>_<direction>/`, so that translating
  another folder, or the other way, never mixes or overwrites earlier outputs.
"""

import os

import numpy as np

from ugatit_tf import checkpoints, data, visualization
from ugatit_tf.data import augment, decode, folders
from ugatit_tf.progress import Progress

TEST_SUBDIR = "test"
TRANSLATIONS_SUBDIR = "translations"


def default_output_dir(workdir, input_dir=None, direction="a2b"):
    """The default output folder of a job (see the module docstring): the test split's
    when `input_dir` is None, else the folder's in that `direction`."""
    if input_dir is None:
        return os.path.join(workdir, TEST_SUBDIR)
    name = os.path.basename(os.path.normpath(os.path.abspath(input_dir)))
    return os.path.join(workdir, TRANSLATIONS_SUBDIR, f"{name}_{direction}")


def _write(image_uint8, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    visualization.save_png(image_uint8, path)


def translate_images(images, names, task, direction, output_dir, strips=False,
                     original_sizes=None):
    """Translates `[N, S, S, 3]` images in [-1, 1] and writes one PNG per image.

    Args:
        names: output file names (their extension is replaced by .png).
        task: a `TranslationTask` with trained generators; `direction` "a2b" or "b2a".
        strips: also write each image's column of the sample grid to `strips/` (the
            task's `sample_rows`: U-GAT-IT's 7 tiles with CAM heatmaps, AttentionGAN's
            attention masks).
        original_sizes: `(height, width)` per image to resize the outputs back to.
    """
    from PIL import Image

    fake = np.asarray(task.translate(direction, images)["image"])
    if strips:  # one call for the whole batch: column i is image i's strip
        width = images.shape[2]
        columns = visualization.grid(task.sample_rows(direction, images))
    for i, name in enumerate(names):
        stem = os.path.splitext(name)[0]
        out = visualization.to_uint8(fake[i])
        if original_sizes is not None:
            h, w = original_sizes[i]
            out = np.asarray(Image.fromarray(out).resize((w, h), Image.BICUBIC))
        _write(out, os.path.join(output_dir, stem + ".png"))
        if strips:
            strip = columns[:, i * width:(i + 1) * width]
            _write(strip, os.path.join(output_dir, "strips", stem + ".png"))


INPUT_LAYOUT = "--input_dir must be a folder of image files (JPEG, PNG, ...)."


def list_inputs(input_dir):
    """The readable images of `input_dir` (others are skipped and named)."""
    return folders.list_images(input_dir, layout=INPUT_LAYOUT)


def translate_folder(task, image_size, input_dir, output_dir, direction="a2b",
                     strips=False, keep_size=False, batch_size=8, paths=None, progress=True):
    """Translates every readable image in `input_dir` (others are skipped and named).

    Args:
        paths: the images to translate, if `list_inputs(input_dir)` was called already.
        progress: show a progress line (`ugatit_tf.progress`) on stdout.

    Returns:
        The number of images written.
    """
    paths = paths if paths is not None else list_inputs(input_dir)
    bar = Progress(len(paths), unit="image", label=f"{direction} ") if progress else None
    for start in range(0, len(paths), batch_size):
        batch = paths[start:start + batch_size]
        raw = [decode.load_rgb(p) for p in batch]
        images = np.stack([augment.eval_preprocess(r, image_size).numpy() for r in raw])
        sizes = [r.shape[:2] for r in raw] if keep_size else None
        translate_images(images, [os.path.basename(p) for p in batch], task, direction,
                         output_dir, strips, sizes)
        if bar:
            bar.add(len(batch))
    if bar:
        bar.finish()
    return len(paths)


def translate_test_split(workdir, output_dir=None, checkpoint=None, batch_size=8,
                         progress=True):
    """The official `--phase test`: both test domains, translations and strips.

    Writes `<output_dir>/A2B/*.png` and `<output_dir>/B2A/*.png` (with `strips/`);
    `output_dir` defaults to `default_output_dir(workdir)`, `<workdir>/test`.

    Returns:
        `(output_dir, {direction: images written})`.
    """
    output_dir = output_dir or default_output_dir(workdir)
    task, config = checkpoints.load_task(workdir, checkpoint)
    counts = {}
    for domain, direction in (("A", "a2b"), ("B", "b2a")):
        dataset = data.build_eval_dataset(config.data, config.model.image_size, "test",
                                          domain)
        total = int(dataset.cardinality())
        bar = Progress(total if total >= 0 else None, unit="image",
                       label=f"test{domain} {direction} ") if progress else None
        out = os.path.join(output_dir, direction.upper())
        counts[direction] = 0
        for images, names in dataset.batch(batch_size):
            translate_images(images.numpy(), [n.decode() for n in names.numpy()], task,
                             direction, out, strips=True)
            counts[direction] += len(names)
            if bar:
                bar.update(counts[direction])
        if bar:
            bar.finish(count=counts[direction])
    return output_dir, counts
