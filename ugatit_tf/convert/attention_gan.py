"""PyTorch weight import for AttentionGAN (Ha0Tang/AttentionGAN), schemes I and II.

Maps the official `state_dict` keys onto our Keras variables with the layout transforms
of `ugatit_tf.convert.pytorch` (each with its `.inverse`, so `export_state_dict` writes
PT's layout back). BatchNorm's `num_batches_tracked` only matters to PT when its
momentum is None, which the official code never uses: it is accepted and ignored.
"""

from ugatit_tf.convert import cyclegan
from ugatit_tf.convert.cyclegan import conv_entries as _conv_entries
from ugatit_tf.convert.pytorch import identity
from ugatit_tf.convert.state_dicts import StateDictConverter
from ugatit_tf.models.attention_gan.scheme1 import Scheme1Discriminator, Scheme1Generator
from ugatit_tf.models.attention_gan.scheme2 import Scheme2Generator


def _norm_entries(prefix, layer):
    """BatchNorm parameters and running statistics; nothing for InstanceNorm."""
    if not hasattr(layer, "moving_mean"):
        return {}
    return {f"{prefix}.weight": (layer.gamma, identity), f"{prefix}.bias": (layer.beta, identity),
            f"{prefix}.running_mean": (layer.moving_mean, identity),
            f"{prefix}.running_var": (layer.moving_variance, identity)}


def scheme1_generator_name_map(gen):
    """`Generator.model.<index>` keys (see ../shared/golden/attention_gan/README.md)."""
    layer = gen.get_layer
    entries = {}

    def conv_norm(conv_index, conv_name, norm_name):
        entries.update(_conv_entries(f"model.{conv_index}", layer(conv_name)))
        entries.update(_norm_entries(f"model.{conv_index + 1}", layer(norm_name)))

    conv_norm(1, "stem_conv", "stem_norm")
    conv_norm(4, "down1_conv", "down1_norm")
    conv_norm(7, "down2_conv", "down2_norm")
    for i in range(gen.num_res_blocks):
        block, prefix = layer(f"block{i + 1}"), f"model.{10 + i}.conv_block"
        conv1, norm1, _, _, conv2, norm2 = block.residual[1:]
        entries.update(_conv_entries(f"{prefix}.1", conv1))
        entries.update(_norm_entries(f"{prefix}.2", norm1))
        entries.update(_conv_entries(f"{prefix}.5", conv2))
        entries.update(_norm_entries(f"{prefix}.6", norm2))
    first = 10 + gen.num_res_blocks
    for stage in (1, 2):
        o = first + 8 * (stage - 1)
        conv_norm(o + 1, f"up{stage}_conv", f"up{stage}_norm1")
        entries.update(_conv_entries(f"model.{o + 4}", layer(f"up{stage}_expand")))
        entries.update(_norm_entries(f"model.{o + 6}", layer(f"up{stage}_norm2")))
    entries.update(_conv_entries(f"model.{first + 17}", layer("head_conv")))
    return entries


def scheme1_discriminator_name_map(disc):
    """`Discriminator.conv_tower.<index>` keys."""
    layer = disc.get_layer
    entries = {}
    for i in range(4):
        entries.update(_conv_entries(f"conv_tower.{3 * i}", layer(f"conv{i + 1}")))
        entries.update(_norm_entries(f"conv_tower.{3 * i + 1}", layer(f"norm{i + 1}")))
    entries.update(_conv_entries("conv_tower.12", layer("conv5")))
    entries.update(_conv_entries("conv_tower.15", layer("head")))
    return entries


def scheme2_generator_name_map(gen):
    """`ResnetGenerator_our` keys: `conv1..3`, `resnet_blocks.<i>.conv{1,2}`,
    `deconv{1,2,3}_{content,attention}`."""
    layer = gen.get_layer
    entries = {**_conv_entries("conv1", layer("stem_conv")),
               **_conv_entries("conv2", layer("down1_conv")),
               **_conv_entries("conv3", layer("down2_conv"))}
    for i in range(gen.num_res_blocks):
        block = layer(f"block{i + 1}")
        entries.update(_conv_entries(f"resnet_blocks.{i}.conv1", block.conv1))
        entries.update(_conv_entries(f"resnet_blocks.{i}.conv2", block.conv2))
    for branch in ("content", "attention"):
        for k in (1, 2):
            entries.update(_conv_entries(f"deconv{k}_{branch}",
                                         layer(f"{branch}_up{k}_conv").conv))
        entries.update(_conv_entries(f"deconv3_{branch}", layer(f"{branch}_head_conv")))
    return entries


def name_map(net):
    """PT state_dict key -> (Keras variable, transform from PT layout)."""
    if isinstance(net, Scheme1Generator):
        return scheme1_generator_name_map(net)
    if isinstance(net, Scheme1Discriminator):
        return scheme1_discriminator_name_map(net)
    if isinstance(net, Scheme2Generator):
        return scheme2_generator_name_map(net)
    return cyclegan.name_map(net)  # scheme II's D is CycleGAN's PatchGAN


def config_hint(net):
    """The official settings that change a network's keys or shapes."""
    if isinstance(net, Scheme1Generator):
        return (f"scheme I (AttentionGAN-v1), norm_layer ({net.norm} here), ngf, n_blocks "
                f"({net.num_res_blocks} here)")
    if isinstance(net, Scheme1Discriminator):
        return f"scheme I (AttentionGAN-v1), norm_layer ({net.norm} here)"
    if isinstance(net, Scheme2Generator):
        return (f"scheme II (ResnetGenerator_our{', geo' if net.geo else ''}), --ngf, "
                f"n_blocks ({net.num_res_blocks} here)")
    return f"scheme II, {cyclegan.config_hint(net)}"


CONVERTER = StateDictConverter("AttentionGAN", name_map, config_hint,
                               ignored_suffixes=(".num_batches_tracked",))
export_state_dict = CONVERTER.export_state_dict
load_state_dict = CONVERTER.load_state_dict
load_networks = CONVERTER.load_networks
