"""The paper's augmentation: flips about half the time, crops vary, test images are not cropped."""

import numpy as np
import tensorflow as tf
from data_helpers import data_config, solid, write_folder_dataset

from ugatit_tf.data import augment, build_eval_dataset, build_train_dataset

SIZE = 32  # training crop; images are resized to SIZE + 30 first


def _ramps(width=64, height=64):
    """R rises left to right (0..252), G rises top to bottom: an asymmetric image."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 4, y * 4, np.zeros_like(x)], -1).astype(np.uint8)


def _draws(tmp_path, image, count=400, batch=50):
    write_folder_dataset(tmp_path, images={"ramp.png": image})
    config = data_config(dataset="toy", data_root=str(tmp_path))
    dataset = build_train_dataset(config, SIZE, batch, seed=3)
    return np.concatenate([a.numpy() for a, _ in dataset.take(count // batch)])


def test_flip_rate_and_crop_offsets(tmp_path):
    crops = _draws(tmp_path, _ramps())
    assert crops.shape == (400, SIZE, SIZE, 3)
    red = (crops[..., 0] + 1) * 127.5
    flipped = red[:, SIZE // 2, 0] > red[:, SIZE // 2, -1]
    assert 0.42 < flipped.mean() < 0.58, flipped.mean()
    # G at the crop's top row tells the vertical offset in the (SIZE+30)^2 resized image.
    green = (crops[:, 0, SIZE // 2, 1] + 1) * 127.5
    scale = 64 / (SIZE + augment.CROP_MARGIN)
    offsets = np.rint((green / 4 + 0.5) / scale - 0.5).astype(int)
    assert offsets.min() == 0 and offsets.max() == augment.CROP_MARGIN, offsets
    assert len(set(offsets.tolist())) == augment.CROP_MARGIN + 1
    # A ramp stays a ramp: the crop is a resized window, not a stretched image.
    rows = red[~flipped, SIZE // 2, :]
    slope = np.diff(rows, axis=1).mean()
    np.testing.assert_allclose(slope, 4 * scale, rtol=0.05)


def test_range_endpoints(tmp_path):
    image = np.zeros((40, 40, 3), np.uint8)
    image[:, 20:] = 255
    crops = _draws(tmp_path, image, count=20, batch=20)
    assert crops.dtype == np.float32
    assert crops.min() == -1.0 and crops.max() == 1.0


def test_eval_resizes_without_crop(tmp_path):
    image = solid((255, 255, 255), size=(64, 64))
    image[:4], image[-4:], image[:, :4], image[:, -4:] = 0, 0, 0, 0  # a black frame
    write_folder_dataset(tmp_path, images={"frame.png": image})
    config = data_config(dataset="toy", data_root=str(tmp_path))
    out, name = next(iter(build_eval_dataset(config, SIZE)))
    out = out.numpy()
    assert out.shape == (SIZE, SIZE, 3) and name.numpy() == b"frame.png"
    for edge in (out[0], out[-1], out[:, 0], out[:, -1]):  # the whole frame is kept
        assert edge.max() < -0.9
    assert out[SIZE // 2, SIZE // 2].min() > 0.9
    again, _ = next(iter(build_eval_dataset(config, SIZE)))
    np.testing.assert_array_equal(out, again.numpy())


def test_train_augment_is_a_pure_function_of_the_seed():
    image = tf.constant(_ramps())
    first = augment.train_augment(image, SIZE, tf.constant([1, 2], tf.int64))
    again = augment.train_augment(image, SIZE, tf.constant([1, 2], tf.int64))
    other = [augment.train_augment(image, SIZE, tf.constant([1, k], tf.int64))
             for k in range(3, 8)]
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    assert any(not np.array_equal(first.numpy(), o.numpy()) for o in other)
