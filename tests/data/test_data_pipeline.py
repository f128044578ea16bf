"""Both pipelines: shapes, dtype, range, unpaired shuffling, determinism, real data."""

import numpy as np
from data_helpers import SHARED_DATA, data_config, solid, write_folder_dataset
from PIL import Image

from ugatit_tf.data import build_eval_dataset, build_train_dataset


def _check_images(images, shape):
    assert images.dtype == np.float32 and images.shape == shape
    assert images.min() >= -1.0 and images.max() <= 1.0


def test_synthetic_train_and_eval():
    config = data_config(synthetic_size=12, synthetic_test_size=5)
    real_a, real_b = next(iter(build_train_dataset(config, 32, 3)))
    _check_images(real_a.numpy(), (3, 32, 32, 3))
    _check_images(real_b.numpy(), (3, 32, 32, 3))
    items = list(build_eval_dataset(config, 32, domain="B"))
    assert [n.numpy() for _, n in items] == [f"{i:06d}.png".encode() for i in range(5)]
    for image, _ in items:
        _check_images(image.numpy(), (32, 32, 3))


def test_all_modes_through_both_pipelines(tmp_path):
    rgb = solid((200, 40, 90), size=(20, 30))
    images = {
        "gray.png": Image.fromarray(rgb[..., 0]),
        "rgba.png": Image.fromarray(rgb).convert("RGBA"),
        "cmyk.jpg": Image.fromarray(rgb).convert("CMYK"),
        "palette.png": Image.fromarray(rgb).convert("P"),
        "deep.png": Image.fromarray(rgb[..., 0].astype(np.uint16) * 257),
    }
    root = tmp_path / "modes"
    for split in ("trainA", "trainB", "testA", "testB"):
        (root / split).mkdir(parents=True)
        for name, image in images.items():
            image.save(root / split / name)
    config = data_config(dataset="modes", data_root=str(tmp_path))
    real_a, _ = next(iter(build_train_dataset(config, 16, 5)))
    _check_images(real_a.numpy(), (5, 16, 16, 3))
    colours = {n.numpy().decode(): (img.numpy()[8, 8] + 1) * 127.5
               for img, n in build_eval_dataset(config, 16)}
    assert sorted(colours) == sorted(images)
    for name in ("rgba.png", "cmyk.jpg", "palette.png"):
        np.testing.assert_allclose(colours[name], [200, 40, 90], atol=12, err_msg=name)
    for name in ("gray.png", "deep.png"):
        np.testing.assert_allclose(colours[name], [200, 200, 200], atol=1, err_msg=name)


def _identities(images):
    """Image index from the red level of solid test images (red = 30 * index)."""
    return np.rint((images[:, :, :, 0].mean(axis=(1, 2)) + 1) * 127.5 / 30).astype(int)


def test_unpaired_epochs_and_determinism(tmp_path):
    images = {f"{i}.png": solid((30 * i, 0, 0)) for i in range(8)}
    write_folder_dataset(tmp_path, images=images)
    config = data_config(dataset="toy", data_root=str(tmp_path))

    def sequences(seed):
        batches = list(build_train_dataset(config, 8, 4, seed=seed).take(6))
        a = _identities(np.concatenate([a.numpy() for a, _ in batches]))
        b = _identities(np.concatenate([b.numpy() for _, b in batches]))
        return a, b

    a, b = sequences(seed=0)
    for epoch in range(3):  # each epoch shows every image once
        assert sorted(a[8 * epoch:8 * epoch + 8]) == list(range(8))
        assert sorted(b[8 * epoch:8 * epoch + 8]) == list(range(8))
    assert not np.array_equal(a, b)  # A and B are shuffled independently
    assert not np.array_equal(a[:8], a[8:16])  # reshuffled each epoch
    a_again, b_again = sequences(seed=0)
    np.testing.assert_array_equal(a, a_again)
    np.testing.assert_array_equal(b, b_again)
    a_other, _ = sequences(seed=1)
    assert not np.array_equal(a, a_other)


def test_same_seed_same_pixels(toy_dataset):
    first = [a.numpy() for a, _ in build_train_dataset(toy_dataset, 16, 2, seed=5).take(3)]
    again = [a.numpy() for a, _ in build_train_dataset(toy_dataset, 16, 2, seed=5).take(3)]
    np.testing.assert_array_equal(np.stack(first), np.stack(again))


def test_skip_batches_continues_the_stream(toy_dataset):
    full = [np.stack([a, b]) for a, b in build_train_dataset(toy_dataset, 16, 3).take(5)]
    resumed = build_train_dataset(toy_dataset, 16, 3, skip_batches=2).take(3)
    np.testing.assert_array_equal(np.stack(full[2:]), np.stack([np.stack(x) for x in resumed]))


def test_shared_ants2bees():
    root = SHARED_DATA
    assert (root / "ants2bees").is_dir(), f"shared real test data not found at {root}"
    config = data_config(dataset="ants2bees", data_root=str(root))
    for real_a, real_b in build_train_dataset(config, 64, 8).take(3):
        _check_images(real_a.numpy(), (8, 64, 64, 3))
        _check_images(real_b.numpy(), (8, 64, 64, 3))
    eval_a = build_eval_dataset(config, 64, domain="A")
    names = [n.numpy().decode() for _, n in eval_a]
    assert names == sorted(p.name for p in (root / "ants2bees" / "testA").iterdir())
