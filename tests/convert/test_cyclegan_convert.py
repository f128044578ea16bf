"""CycleGAN weight import: round trip, the official key layout, errors."""

import numpy as np
import pytest

from ugatit_tf.convert import cyclegan
from ugatit_tf.models.cyclegan import PatchGANDiscriminator, ResnetGenerator


def built(net, size=32):
    net.build((None, size, size, 3))
    return net


@pytest.mark.parametrize("blocks", [2, 3])
def test_generator_keys_are_the_official_ones(blocks):
    keys = set(cyclegan.export_state_dict(built(ResnetGenerator(4, blocks))))
    convs = ["1", "4", "7"] + [f"{10 + i}.conv_block.{j}" for i in range(blocks) for j in (1, 5)]
    convs += [str(10 + blocks), str(13 + blocks), str(17 + blocks)]
    assert keys == {f"model.{c}.{p}" for c in convs for p in ("weight", "bias")}


def test_discriminator_keys_and_layouts():
    state = cyclegan.export_state_dict(built(PatchGANDiscriminator(4, 3)))
    assert sorted(state) == sorted(f"model.{i}.{p}" for i in (0, 2, 5, 8, 11)
                                   for p in ("weight", "bias"))
    assert state["model.0.weight"].shape == (4, 3, 4, 4)  # [out, in, kh, kw]
    assert state["model.8.weight"].shape == (32, 16, 4, 4)
    assert state["model.11.weight"].shape == (1, 32, 4, 4)


def test_conv_transpose_layout_is_in_out():
    state = cyclegan.export_state_dict(built(ResnetGenerator(4, 2)))
    assert state["model.12.weight"].shape == (16, 8, 3, 3)  # [in, out, kh, kw]
    assert state["model.15.weight"].shape == (8, 4, 3, 3)


def test_round_trip_and_stale_norm_buffers():
    source, target = built(ResnetGenerator(4, 2)), built(ResnetGenerator(4, 2))
    state = cyclegan.export_state_dict(source)
    # PyTorch < 0.4 checkpoints hold InstanceNorm buffers; the official loader drops them.
    state["model.2.running_mean"] = np.zeros(4)
    cyclegan.load_networks({"G_A": target}, {"G_A": state})
    for a, b in zip(target.weights, source.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_errors_name_the_key():
    gen = built(ResnetGenerator(4, 2))
    state = cyclegan.export_state_dict(gen)
    with pytest.raises(ValueError, match=r"^G_A: 1 PyTorch key is missing: 'model.19.bias'; "
                                         r"was the checkpoint written by a different CycleGAN "
                                         r"config \(--ngf, --netG \(resnet_9blocks or "
                                         r"resnet_6blocks; this one has 2 blocks\)\)\?$"):
        cyclegan.load_state_dict(gen, {k: v for k, v in state.items() if k != "model.19.bias"},
                                 "G_A")
    state["model.1.weight"] = np.zeros((8, 3, 7, 7))
    with pytest.raises(ValueError, match=r"^G_A: PyTorch key 'model.1.weight' has shape "
                                         r"\(8, 3, 7, 7\).*--ngf"):
        cyclegan.load_state_dict(gen, state, "G_A")
    with pytest.raises(ValueError, match=r"^D_B: the checkpoint has no state_dict"):
        cyclegan.load_networks({"D_B": gen}, {"G_A": state})


def test_official_pth_files(tmp_path):
    import torch

    source, target = built(PatchGANDiscriminator(4, 3)), built(PatchGANDiscriminator(4, 3))
    path = tmp_path / "latest_net_D_A.pth"
    torch.save({k: torch.from_numpy(v) for k, v in cyclegan.export_state_dict(source).items()},
               path)
    cyclegan.load_official_checkpoints({"D_A": target}, {"D_A": str(path)})
    for a, b in zip(target.weights, source.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
