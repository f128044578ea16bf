"""TFDS CycleGAN datasets: `dataset="tfds:<config>"` reads `cycle_gan/<config>`.

`tfds.load` keeps its normal download-and-prepare path; when the data can be neither
downloaded nor found in the TFDS data dir, a `DatasetNotFoundError` says where it looked
and how to prepare the data offline. Images stay encoded until the parallel decode, so
shuffling moves bytes, not pixels.
"""

import tensorflow as tf

from ugatit_tf.data.errors import DatasetError, DatasetNotFoundError
from ugatit_tf.data.source import Source
from ugatit_tf.dataset_check import TFDS_PREFIX

PREFIX = TFDS_PREFIX


def cycle_gan_configs():
    """Names of the TFDS `cycle_gan` configs (horse2zebra, apple2orange, ...)."""
    import tensorflow_datasets as tfds

    return [c.name for c in tfds.builder_cls("cycle_gan").BUILDER_CONFIGS]


def default_data_dir():
    """The TFDS data dir used when none is given ($TFDS_DATA_DIR or ~/tensorflow_datasets)."""
    from tensorflow_datasets.core import constants

    return constants.DATA_DIR


def _offline_help(tfds_name, data_dir, config):
    return (
        f"Without internet, prepare it offline: on a machine with internet run\n"
        f"  python -c \"import tensorflow_datasets as tfds; "
        f"tfds.builder('{tfds_name}', data_dir='tfds_export').download_and_prepare()\"\n"
        f"then copy the folder tfds_export/{tfds_name} to {data_dir}/{tfds_name} here (or "
        f"set data.tfds_data_dir to a copy of tfds_export). Alternatively unzip the "
        f"CycleGAN archive {config}.zip and use it as a folder dataset: "
        f"--dataset {config} with data_root set to the folder that holds {config}/.")


def tfds_source(config, split, domain, data_dir=None, download=True):
    """The `Source` of TFDS `cycle_gan/<config>`, split `<split><domain>` (e.g. trainA).

    Args:
        config: a `cycle_gan` config name, e.g. "horse2zebra".
        data_dir: TFDS data dir; None for the TFDS default.
        download: let TFDS download and prepare the data when it is missing.
    """
    import tensorflow_datasets as tfds

    config = config.removeprefix("cycle_gan/")
    configs = cycle_gan_configs()
    if config not in configs:
        raise DatasetError(
            f"Unknown TFDS dataset 'tfds:{config}': TFDS cycle_gan has the configs "
            f"{', '.join(configs)}. Other CycleGAN data (cat2dog, selfie2anime, ...) comes "
            f"as folders: <data_root>/<name>/{{trainA,trainB,testA,testB}}.")
    tfds_name = f"cycle_gan/{config}"
    data_dir = data_dir or default_data_dir()
    try:
        dataset, info = tfds.load(
            tfds_name, split=f"{split}{domain}", data_dir=data_dir, download=download,
            shuffle_files=False, with_info=True,
            decoders={"image": tfds.decode.SkipDecoding()})
    except Exception as e:  # noqa: BLE001 - network, missing files, assertion in TFDS
        raise DatasetNotFoundError(
            f"Could not load the TFDS dataset {tfds_name} (split {split}{domain}) from the "
            f"TFDS data dir {data_dir} (download={download}): {type(e).__name__}: {e}\n"
            + _offline_help(tfds_name, data_dir, config)) from e
    size = info.splits[f"{split}{domain}"].num_examples
    if size == 0:
        raise DatasetError(f"TFDS {tfds_name} split {split}{domain} in {data_dir} is empty.")

    def decode(encoded):
        return tf.io.decode_image(encoded, channels=3, dtype=tf.uint8, expand_animations=False)

    return Source(
        keys=dataset.map(lambda example: example["image"]),
        decode=decode,
        names=tuple(f"{i:06d}.png" for i in range(size)),
        description=f"TFDS {tfds_name} {split}{domain} in {data_dir}")
