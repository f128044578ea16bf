"""CycleGAN networks (junyanz/pytorch-CycleGAN-and-pix2pix)."""

from ugatit_tf.models.cyclegan.discriminator import PatchGANDiscriminator
from ugatit_tf.models.cyclegan.generator import (
    ResnetGenerator,
    decoder_layers,
    encoder_layers,
)

__all__ = ["PatchGANDiscriminator", "ResnetGenerator", "decoder_layers", "encoder_layers"]
