"""The training work dir: resolved config, checkpoints, and loading trained networks.

Layout written by the trainer:

    <workdir>/config.json          the resolved config (ml_collections, as JSON)
    <workdir>/checkpoints/ckpt-N   tf.train.Checkpoint: the six networks (spectral-norm
                                   state included), both optimizers, the step counter
"""

import json
import os

import ml_collections
import tensorflow as tf

from ugatit_tf.models import build_networks

CONFIG_FILE = "config.json"
CHECKPOINT_SUBDIR = "checkpoints"


def write_config(workdir, config):
    os.makedirs(workdir, exist_ok=True)
    path = os.path.join(workdir, CONFIG_FILE)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(config.to_json_best_effort(indent=2, sort_keys=True))
    os.replace(tmp, path)


def read_config(workdir):
    path = os.path.join(workdir, CONFIG_FILE)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{path} does not exist: --workdir must be a directory written by train.py "
            f"(it holds {CONFIG_FILE} and {CHECKPOINT_SUBDIR}/).")
    with open(path) as f:
        return ml_collections.ConfigDict(json.load(f))


def networks_from_config(model_config, dtype=None):
    m = model_config
    return build_networks(
        base_filters=m.base_filters, num_res_blocks=m.num_res_blocks,
        image_size=m.image_size, light=m.light, disc_global_layers=m.disc_global_layers,
        disc_local_layers=m.disc_local_layers, dtype=dtype)


def variables_by_path(net):
    """`{variable path inside the network: variable}`, e.g. `cam/conv1x1_kernel`."""
    prefix = net.name + "/"
    return {v.path.removeprefix(prefix): v for v in net.variables}


def make_checkpoint(nets, **extra):
    """A tf.train.Checkpoint of the six networks' variables plus `extra` trackables.

    Each network is saved as a mapping of its variable paths (Keras 3 layers kept in
    Python lists are invisible to TF's object graph, so the models are not passed
    directly), under the official network names.
    """
    return tf.train.Checkpoint(
        **{name: variables_by_path(net) for name, net in nets.items()}, **extra)


def checkpoint_dir(workdir):
    return os.path.join(workdir, CHECKPOINT_SUBDIR)


def latest_checkpoint(workdir):
    path = tf.train.latest_checkpoint(checkpoint_dir(workdir))
    if path is None:
        raise FileNotFoundError(
            f"No checkpoint in {checkpoint_dir(workdir)}: train first "
            f"(python train.py --workdir={workdir}) or pass --checkpoint.")
    return path


def load_networks(workdir, checkpoint=None, dtype=None):
    """Builds the networks from `<workdir>/config.json` and restores their weights.

    Args:
        workdir: a training work dir.
        checkpoint: a checkpoint prefix (`.../ckpt-N`); the latest one by default.

    Returns:
        `(nets, config)`.
    """
    config = read_config(workdir)
    nets = networks_from_config(config.model, dtype=dtype)
    path = checkpoint or latest_checkpoint(workdir)
    try:
        make_checkpoint(nets).read(path).expect_partial().assert_existing_objects_matched()
    except (tf.errors.NotFoundError, ValueError, AssertionError) as e:
        raise ValueError(
            f"Could not restore {path} into the networks of {workdir}/{CONFIG_FILE}: "
            f"{e}. Is the checkpoint from this work dir's run?") from e
    return nets, config
