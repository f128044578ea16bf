"""Imports (and exports) weights of the official PyTorch U-GAT-IT (znxlwm/UGATIT-pytorch).

A PT `state_dict` (names -> arrays) fills our Keras networks: conv kernels go from
[out, in, kh, kw] to [kh, kw, in, out], linear weights are transposed, full mode's first
MLP weight has its rows permuted from PT's C,H,W flatten order to our H,W,C order, and
the spectral-norm state (`weight_u`, `weight_v`) is carried over. The same transforms
map PT gradients onto ours (they are linear), which the golden tests use. Every transform
has an `.inverse`; `export_state_dict` uses them to write our weights in PT's layout.
The loop that checks and assigns is `convert.state_dicts`' (shared by every family).

The official code has one architecture: the maps are for the default networks (AdaLIN
decoder, CAM in G and D), and raise a ValueError for the paper's ablations.

torch is optional: it is imported only to read a `.pt` file.
"""

import numpy as np

from ugatit_tf.convert.state_dicts import StateDictConverter, read_torch_file
from ugatit_tf.models.ugatit.generator import UGATITGenerator


def _with_inverse(inverse):
    """Attaches the map back to PT's layout (used by `export_state_dict`)."""

    def decorate(transform):
        transform.inverse = inverse
        return transform

    return decorate


@_with_inverse(lambda w: np.transpose(w, (3, 2, 0, 1)))
def conv_kernel(w):
    return np.transpose(w, (2, 3, 1, 0))


@_with_inverse(np.transpose)
def dense_kernel(w):
    return np.transpose(w)


@_with_inverse(lambda w: np.reshape(w, (1, -1, 1, 1)))
def channel_vector(w):
    """rho, gamma, beta: PT's [1, C, 1, 1] parameters."""
    return np.reshape(w, (-1,))


@_with_inverse(lambda w: w)
def identity(w):
    return w


@_with_inverse(lambda w: np.transpose(w)[:, :, None, None])
def conv1x1_kernel(w):
    return np.transpose(w[:, :, 0, 0])


def conv_power_vector(shape):
    """PT's v is laid out (in, kh, kw); ours (kh, kw, in). `shape` is the Keras kernel's."""
    kh, kw, cin, _ = shape

    @_with_inverse(lambda v: np.transpose(np.reshape(v, (kh, kw, cin)), (2, 0, 1)).reshape(-1))
    def transform(v):
        return np.transpose(np.reshape(v, (cin, kh, kw)), (1, 2, 0)).reshape(-1)

    return transform


def chw_flatten_kernel(height, width, channels):
    """Full mode's first MLP weight: PT flattens C,H,W; we flatten H,W,C."""

    def inverse(kernel):
        out = kernel.shape[-1]
        kernel = np.reshape(kernel, (height, width, channels, out))
        return np.transpose(kernel, (3, 2, 0, 1)).reshape(out, -1)

    @_with_inverse(inverse)
    def transform(w):
        out = w.shape[0]
        w = np.reshape(w, (out, channels, height, width))
        return np.transpose(w, (2, 3, 1, 0)).reshape(-1, out)

    return transform


def _spectral_norm_entries(prefix, layer, is_conv):
    entries = {
        f"{prefix}.weight_orig": (layer.kernel, conv_kernel if is_conv else dense_kernel),
        f"{prefix}.weight_u": (layer.sn_u, identity),
        f"{prefix}.weight_v": (layer.sn_v,
                               conv_power_vector(layer.kernel.shape) if is_conv else identity),
    }
    if getattr(layer, "bias", None) is not None:
        entries[f"{prefix}.bias"] = (layer.bias, identity)
    return entries


def _cam_entries(cam, spectral_norm):
    if spectral_norm:
        entries = {**_spectral_norm_entries("gap_fc", cam.gap_fc, is_conv=False),
                   **_spectral_norm_entries("gmp_fc", cam.gmp_fc, is_conv=False)}
    else:
        entries = {"gap_fc.weight": (cam.gap_fc.kernel, dense_kernel),
                   "gmp_fc.weight": (cam.gmp_fc.kernel, dense_kernel)}
    entries["conv1x1.weight"] = (cam.conv1x1_kernel, conv1x1_kernel)
    entries["conv1x1.bias"] = (cam.conv1x1_bias, identity)
    return entries


_OFFICIAL_OPTIONS = {"decoder_norm": "adalin", "use_cam": True}


def _check_official(net, options):
    """Raises a ValueError naming the options of `net` that the official code lacks."""
    other = {k: v for k, v in options.items() if v != _OFFICIAL_OPTIONS[k]}
    if other:
        given = ", ".join(f"{k}={v!r}" for k, v in other.items())
        official = ", ".join(f"{k}={_OFFICIAL_OPTIONS[k]!r}" for k in other)
        raise ValueError(
            f"{net.name}: the official PyTorch U-GAT-IT has no {given} (a paper "
            f"ablation); only networks with {official} convert to and from its weights.")


def generator_name_map(gen):
    """PT state_dict key -> (Keras variable, transform from PT layout) for a generator."""
    _check_official(gen, {"decoder_norm": gen.decoder_norm, "use_cam": gen.use_cam})
    layer = gen.get_layer
    entries = {
        "DownBlock.1.weight": (layer("stem_conv").kernel, conv_kernel),
        "DownBlock.5.weight": (layer("down1_conv").kernel, conv_kernel),
        "DownBlock.9.weight": (layer("down2_conv").kernel, conv_kernel),
    }
    for i in range(gen.num_res_blocks):
        block = layer(f"encoder_block{i + 1}")
        entries[f"DownBlock.{12 + i}.conv_block.1.weight"] = (block.conv1.kernel, conv_kernel)
        entries[f"DownBlock.{12 + i}.conv_block.5.weight"] = (block.conv2.kernel, conv_kernel)
    entries.update(_cam_entries(gen.cam, spectral_norm=False))

    bottleneck = 4 * gen.base_filters
    side = gen.image_size // 4
    first = dense_kernel if gen.light else chw_flatten_kernel(side, side, bottleneck)
    entries["FC.0.weight"] = (layer("mlp_dense1").kernel, first)
    entries["FC.2.weight"] = (layer("mlp_dense2").kernel, dense_kernel)
    entries["gamma.weight"] = (layer("gamma").kernel, dense_kernel)
    entries["beta.weight"] = (layer("beta").kernel, dense_kernel)

    for i in range(gen.num_res_blocks):
        block = layer(f"decoder_block{i + 1}")
        prefix = f"UpBlock1_{i + 1}"
        entries[f"{prefix}.conv1.weight"] = (block.conv1.kernel, conv_kernel)
        entries[f"{prefix}.conv2.weight"] = (block.conv2.kernel, conv_kernel)
        entries[f"{prefix}.norm1.rho"] = (block.norm1.rho, channel_vector)
        entries[f"{prefix}.norm2.rho"] = (block.norm2.rho, channel_vector)
    for index, name in ((2, "up1"), (7, "up2")):
        entries[f"UpBlock2.{index}.weight"] = (layer(f"{name}_conv").kernel, conv_kernel)
        norm = layer(f"{name}_norm")
        for param in ("rho", "gamma", "beta"):
            entries[f"UpBlock2.{index + 1}.{param}"] = (getattr(norm, param), channel_vector)
    entries["UpBlock2.11.weight"] = (layer("head_conv").kernel, conv_kernel)
    return entries


def discriminator_name_map(disc):
    """PT state_dict key -> (Keras variable, transform from PT layout) for a discriminator."""
    _check_official(disc, {"use_cam": disc.use_cam})
    entries = {}
    for i in range(disc.num_layers - 1):
        conv = disc.get_layer(f"conv{i + 1}")
        entries.update(_spectral_norm_entries(f"model.{1 + 3 * i}", conv, is_conv=True))
    entries.update(_cam_entries(disc.cam, spectral_norm=True))
    entries.update(_spectral_norm_entries("conv", disc.head, is_conv=True))
    return entries


def name_map(net):
    if isinstance(net, UGATITGenerator):
        return generator_name_map(net)
    return discriminator_name_map(net)


def config_hint(net):
    """The official flags (`main.py`) that change a network's keys or shapes."""
    if isinstance(net, UGATITGenerator):
        return (f"--light (this generator is {'light' if net.light else 'full'}), --ch, "
                f"--n_res, --img_size")
    return (f"--ch; the official discriminators have 7 (global) and 5 (local) layers, "
            f"this one {net.num_layers}")


CONVERTER = StateDictConverter("U-GAT-IT", name_map, config_hint)
export_state_dict = CONVERTER.export_state_dict
load_state_dict = CONVERTER.load_state_dict
load_networks = CONVERTER.load_networks


def load_official_checkpoint(nets, path):
    """Loads a `.pt` file saved by the official code's `UGATIT.save` (needs torch)."""
    load_networks(nets, read_torch_file(path))
