"""The networks, one sub-package per model family (`ugatit`, `cyclegan`,
`attention_gan`); U-GAT-IT's are also importable from here."""

from ugatit_tf.models.ugatit import (
    UGATITDiscriminator,
    UGATITGenerator,
    UGATITNetworks,
    build_networks,
)

__all__ = ["UGATITDiscriminator", "UGATITGenerator", "UGATITNetworks", "build_networks"]
