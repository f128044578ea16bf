"""The up-front config checks: every rule, and the size limits they state."""

import pytest
import tensorflow as tf

from configs import default, demo, light
from configs.attention_gan import demo as attention_gan_demo
from configs.attention_gan import scheme1, scheme2
from configs.cyclegan import default as cyclegan_default
from configs.cyclegan import demo as cyclegan_demo
from configs.ugatit import ablation_no_generator_cam
from configs.ugatit import default as ugatit_default
from configs.ugatit import demo as ugatit_demo
from ugatit_tf import config_validation
from ugatit_tf.app_errors import UserError
from ugatit_tf.models import UGATITDiscriminator, UGATITGenerator


@pytest.mark.parametrize("preset", [default, demo, light, cyclegan_default, cyclegan_demo,
                                    attention_gan_demo, scheme1, scheme2, ugatit_default,
                                    ugatit_demo, ablation_no_generator_cam])
def test_presets_are_valid(preset):
    config = preset.get_config()
    reference = config_validation.reference_config(config.get("task", "ugatit"))
    assert config_validation.config_problems(config, reference) == []


def test_unknown_task():
    with pytest.raises(UserError, match="config.task='pix2pix' is not a known task: "
                                        "choose from attention_gan, cyclegan, ugatit"):
        config_validation.reference_config("pix2pix")


@pytest.mark.parametrize("key, value", [
    ("model.base_filters", 0), ("model.num_res_blocks", 0), ("model.image_size", 30),
    ("model.image_size", 4), ("model.light", 1), ("data.batch_size", -1),
    ("data.shuffle_buffer", 0), ("data.dataset", " "), ("loss.cycle", -0.5),
    ("loss.cam", float("nan")), ("train.iterations", 0), ("train.learning_rate", 0.0),
    ("train.beta_2", 1.0), ("train.weight_decay", float("inf")), ("train.save_freq", 0),
    ("train.log_freq", 0), ("train.print_freq", -3), ("train.keep_checkpoints", 0),
    ("train.seed", -1), ("train.decay_flag", "yes"),
])
def test_each_bad_value_is_named(key, value):
    config = demo.get_config().to_dict()  # plain dicts: no ConfigDict type safety
    section, name = key.split(".")
    config[section][name] = value
    with pytest.raises(UserError, match=f"config.{key}="):
        config_validation.check_config(config)


def test_unknown_key_in_a_config_file():
    config = demo.get_config()
    config.train.lerning_rate = 1.0
    with pytest.raises(UserError, match="unknown key config.train.lerning_rate .*"
                                        "configs/ugatit/default.py"):
        config_validation.check_config(config, config_validation.reference_config("ugatit"))


@pytest.mark.parametrize("layers", [3, 4, 5])
def test_discriminator_minimum_size(layers):
    """The limit the config check states is where the discriminator starts to fail."""
    smallest = config_validation.discriminator_min_size(layers)
    disc = UGATITDiscriminator(base_filters=2, num_layers=layers)
    assert disc(tf.zeros([1, smallest, smallest, 3]))[0].shape[1] >= 1
    too_small = smallest - 1
    with pytest.raises(Exception):  # noqa: B017 - TF's error type varies by layer
        UGATITDiscriminator(base_filters=2, num_layers=layers)(
            tf.zeros([1, too_small, too_small, 3]))


def test_light_generator_minimum_size():
    gen = UGATITGenerator(base_filters=2, num_res_blocks=1, image_size=8, light=True)
    assert gen(tf.zeros([1, 8, 8, 3]))[0].shape == (1, 8, 8, 3)
    assert config_validation.image_size(8) is None
    assert config_validation.image_size(4) is not None
    with pytest.raises(Exception):  # noqa: B017 - MirrorPad's error
        gen(tf.zeros([1, 4, 4, 3]))
