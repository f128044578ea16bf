"""The U-GAT-IT configs under their pre-task paths are the canonical ones, and a work dir
whose config.json predates the ablation keys resumes under them."""

import json
import os

import pytest

import train
from configs import default, demo, light
from configs.ugatit import default as ugatit_default
from configs.ugatit import demo as ugatit_demo
from configs.ugatit import light as ugatit_light
from ugatit_tf import checkpoints
from ugatit_tf.app_errors import UserError


@pytest.mark.parametrize("alias, canonical", [(default, ugatit_default),
                                              (light, ugatit_light), (demo, ugatit_demo)])
def test_old_config_paths_are_the_canonical_configs(alias, canonical):
    assert alias.get_config().to_dict() == canonical.get_config().to_dict()


def write_config_json(workdir, config, drop=()):
    stored = json.loads(config.to_json())
    stored.pop("task")
    for key in drop:
        del stored["model"][key]
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, checkpoints.CONFIG_FILE), "w") as f:
        json.dump(stored, f)


def test_a_workdir_without_ablation_keys_resumes_as_the_official_model(tmp_path):
    config = ugatit_light.get_config()
    write_config_json(str(tmp_path), config,
                      drop=("decoder_norm", "generator_cam", "discriminator_cam"))
    train.check_resumable(str(tmp_path), config)  # the official model: no error
    config.model.decoder_norm = "layer"  # an ablation is another model
    with pytest.raises(UserError, match="another model"):
        train.check_resumable(str(tmp_path), config)
