"""configs/ugatit/: each ablation changes one value of the light preset, documents its
command and builds the networks it names (the pre-task paths: test_config_aliases.py)."""

import importlib
from pathlib import Path

import pytest

from ugatit_tf import losses
from ugatit_tf.models import build_networks

PRESETS = Path(__file__).resolve().parents[2] / "configs" / "ugatit"
ABLATIONS = {
    "ablation_instance": ("decoder_norm", "instance"),
    "ablation_layer": ("decoder_norm", "layer"),
    "ablation_adain": ("decoder_norm", "adain"),
    "ablation_group": ("decoder_norm", "group"),
    "ablation_no_generator_cam": ("generator_cam", False),
    "ablation_no_discriminator_cam": ("discriminator_cam", False),
}
OPTIONS = ("decoder_norm", "generator_cam", "discriminator_cam")


def preset(name):
    return importlib.import_module(f"configs.ugatit.{name}").get_config()


def test_every_ablation_file_is_listed():
    files = {p.stem for p in PRESETS.glob("ablation_*.py")}
    assert files == set(ABLATIONS)


@pytest.mark.parametrize("name", list(ABLATIONS))
def test_an_ablation_changes_one_value_of_the_light_preset(name):
    key, value = ABLATIONS[name]
    config, light = preset(name).to_dict(), preset("light").to_dict()
    assert config["model"].pop(key) == value
    light["model"].pop(key)
    assert config == light
    module = importlib.import_module(f"configs.ugatit.{name}")
    command = f"python train.py --config=configs/ugatit/{name}.py --dataset selfie2anime"
    assert command in module.__doc__


@pytest.mark.parametrize("name", ["default", *ABLATIONS])
def test_the_model_options_are_build_networks_arguments(name):
    model = preset(name).model
    nets = build_networks(2, 1, 32, light=True, disc_global_layers=4, disc_local_layers=3,
                          **{k: model[k] for k in OPTIONS})
    assert nets.gen_a2b.decoder_norm == model.decoder_norm
    assert nets.gen_b2a.use_cam == model.generator_cam
    assert all(d.use_cam == model.discriminator_cam for d in nets.discriminators)
    with_g_cam = any(t.startswith("G_cam") for t in losses.generator_terms(nets))
    with_d_cam = any("_cam_" in t for t in losses.discriminator_terms(nets))
    assert (with_g_cam, with_d_cam) == (model.generator_cam, model.discriminator_cam)
