"""The six networks of one U-GAT-IT model, built together."""

import dataclasses

from ugatit_tf.directions import check_direction
from ugatit_tf.models.ugatit.discriminator import UGATITDiscriminator
from ugatit_tf.models.ugatit.generator import UGATITGenerator


@dataclasses.dataclass
class UGATITNetworks:
    """Two generators and, per domain, a global and a local discriminator.

    Official names: genA2B, genB2A, disGA, disGB, disLA, disLB. A discriminator of
    domain A judges images of domain A (real A, and fakes made by `gen_b2a`).
    """

    gen_a2b: UGATITGenerator
    gen_b2a: UGATITGenerator
    disc_global_a: UGATITDiscriminator
    disc_global_b: UGATITDiscriminator
    disc_local_a: UGATITDiscriminator
    disc_local_b: UGATITDiscriminator

    @property
    def generators(self):
        return [self.gen_a2b, self.gen_b2a]

    @property
    def discriminators(self):
        return [self.disc_global_a, self.disc_global_b, self.disc_local_a, self.disc_local_b]

    def generator_pair(self, direction):
        """`(forward, backward)` generators of "a2b" or "b2a"."""
        if check_direction(direction) == "a2b":
            return self.gen_a2b, self.gen_b2a
        return self.gen_b2a, self.gen_a2b

    def items(self):
        """(official name, network) pairs."""
        return list(zip(OFFICIAL_NAMES, [getattr(self, f.name) for f in
                                         dataclasses.fields(self)]))


OFFICIAL_NAMES = ("genA2B", "genB2A", "disGA", "disGB", "disLA", "disLB")
def build_networks(base_filters=64, num_res_blocks=4, image_size=256, light=False,
                   disc_global_layers=7, disc_local_layers=5, dtype=None,
                   decoder_norm="adalin", generator_cam=True, discriminator_cam=True):
    """Creates and builds the six networks for `image_size` RGB inputs.

    `decoder_norm`, `generator_cam` and `discriminator_cam` select the paper's ablations
    (the generators' `decoder_norm` and `use_cam`, the discriminators' `use_cam`); the
    defaults are the official model.
    """
    def generator(name):
        return UGATITGenerator(base_filters, num_res_blocks, image_size, light,
                               decoder_norm=decoder_norm, use_cam=generator_cam,
                               dtype=dtype, name=name)

    def discriminator(layers, name):
        return UGATITDiscriminator(base_filters, layers, use_cam=discriminator_cam,
                                   dtype=dtype, name=name)

    nets = UGATITNetworks(
        gen_a2b=generator("gen_a2b"),
        gen_b2a=generator("gen_b2a"),
        disc_global_a=discriminator(disc_global_layers, "disc_global_a"),
        disc_global_b=discriminator(disc_global_layers, "disc_global_b"),
        disc_local_a=discriminator(disc_local_layers, "disc_local_a"),
        disc_local_b=discriminator(disc_local_layers, "disc_local_b"),
    )
    for _, net in nets.items():
        net.build((None, image_size, image_size, 3))
    return nets
