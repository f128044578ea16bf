"""U-GAT-IT's networks: the CAM + AdaLIN generator, the CAM discriminators, the six."""

from ugatit_tf.models.ugatit.discriminator import UGATITDiscriminator
from ugatit_tf.models.ugatit.generator import UGATITGenerator
from ugatit_tf.models.ugatit.networks import UGATITNetworks, build_networks

__all__ = ["UGATITDiscriminator", "UGATITGenerator", "UGATITNetworks", "build_networks"]
