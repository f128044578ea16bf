"""Imports (and exports) weights of the official PyTorch CycleGAN
(junyanz/pytorch-CycleGAN-and-pix2pix) with `convert.pytorch`'s layout transforms.

`G_*` and `D_*` are `nn.Sequential`s called `model`; their keys are indexed by position
(see `generator_name_map`). Conv2d weights are [out, in, kh, kw] and ConvTranspose2d
weights [in, out, kh, kw]: the same (2, 3, 1, 0) transpose gives Keras' Conv2D kernel
[kh, kw, in, out] and Conv2DTranspose kernel [kh, kw, out, in], so both use
`pytorch.conv_kernel`. The state_dicts hold nothing else: the instance norms are
non-affine and keep no running statistics. A checkpoint is `{official name: state_dict}`
for `G_A`, `G_B`, `D_A`, `D_B` (one `latest_net_<name>.pth` file each).
"""

from ugatit_tf.convert import pytorch
from ugatit_tf.convert.state_dicts import StateDictConverter, read_torch_file
from ugatit_tf.models.cyclegan import PatchGANDiscriminator, ResnetGenerator


def conv_entries(prefix, conv):
    """`{prefix}.weight` and `{prefix}.bias` of a Keras Conv2D or Conv2DTranspose."""
    return {f"{prefix}.weight": (conv.kernel, pytorch.conv_kernel),
            f"{prefix}.bias": (conv.bias, pytorch.identity)}


def generator_name_map(gen):
    """PT state_dict key -> (Keras variable, transform from PT layout) for a
    `ResnetGenerator` with NB blocks: `model.{1,4,7}` stem and down convs,
    `model.{10..9+NB}.conv_block.{1,5}` blocks, `model.{10+NB,13+NB}` transposed convs,
    `model.{17+NB}` head."""
    layer, nb = gen.get_layer, gen.num_res_blocks
    entries = {**conv_entries("model.1", layer("stem_conv")),
               **conv_entries("model.4", layer("down1_conv")),
               **conv_entries("model.7", layer("down2_conv"))}
    for i in range(nb):
        block = layer(f"block{i + 1}")
        entries.update(conv_entries(f"model.{10 + i}.conv_block.1", block.conv1))
        entries.update(conv_entries(f"model.{10 + i}.conv_block.5", block.conv2))
    entries.update(conv_entries(f"model.{10 + nb}", layer("up1_conv").conv))
    entries.update(conv_entries(f"model.{13 + nb}", layer("up2_conv").conv))
    entries.update(conv_entries(f"model.{17 + nb}", layer("head_conv")))
    return entries


def discriminator_name_map(disc):
    """The same for a `PatchGANDiscriminator`: `model.0` first conv, then one conv every
    3 entries (conv, IN, LeakyReLU): `model.{2,5,...}`, the head last."""
    entries = conv_entries("model.0", disc.get_layer("conv1"))
    for i in range(2, disc.num_layers + 2):
        entries.update(conv_entries(f"model.{2 + 3 * (i - 2)}", disc.get_layer(f"conv{i}")))
    entries.update(conv_entries(f"model.{2 + 3 * disc.num_layers}", disc.get_layer("head")))
    return entries


def name_map(net):
    if isinstance(net, ResnetGenerator):
        return generator_name_map(net)
    if isinstance(net, PatchGANDiscriminator):
        return discriminator_name_map(net)
    raise TypeError(f"Not a CycleGAN network: {type(net).__name__}.")


def config_hint(net):
    """The official options (`options/base_options.py`) that change a network's keys or
    shapes."""
    if isinstance(net, ResnetGenerator):
        return (f"--ngf, --netG (resnet_9blocks or resnet_6blocks; this one has "
                f"{net.num_res_blocks} blocks)")
    return f"--ndf, --n_layers_D (this one has {net.num_layers} layers)"


# Buffers that checkpoints of PyTorch < 0.4 hold for InstanceNorm2d; the official
# `load_networks` deletes them (`__patch_instance_norm_state_dict`), and so do we.
CONVERTER = StateDictConverter(
    "CycleGAN", name_map, config_hint,
    ignored_suffixes=("running_mean", "running_var", "num_batches_tracked"))
export_state_dict = CONVERTER.export_state_dict
load_state_dict = CONVERTER.load_state_dict
load_networks = CONVERTER.load_networks


def load_official_checkpoints(networks, paths):
    """Loads the official `latest_net_G_A.pth`-style files, `{official name: path}`
    (needs torch)."""
    load_networks(networks, {name: read_torch_file(path) for name, path in paths.items()})
