"""AttentionGAN networks: scheme I (`scheme1`) and scheme II (`scheme2`)."""

from ugatit_tf.models.attention_gan.scheme1 import (
    Scheme1Discriminator,
    Scheme1Generator,
    Scheme1ResnetBlock,
)
from ugatit_tf.models.attention_gan.scheme2 import Scheme2Generator, compose

__all__ = ["Scheme1Discriminator", "Scheme1Generator", "Scheme1ResnetBlock",
           "Scheme2Generator", "compose"]
