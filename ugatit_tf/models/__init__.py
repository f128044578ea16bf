"""U-GAT-IT networks."""

from ugatit_tf.models.discriminator import UGATITDiscriminator
from ugatit_tf.models.generator import UGATITGenerator
from ugatit_tf.models.networks import UGATITNetworks, build_networks

__all__ = ["UGATITDiscriminator", "UGATITGenerator", "UGATITNetworks", "build_networks"]
