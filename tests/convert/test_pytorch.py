"""The PyTorch importer: exact round trips through PT layouts, PT's own formulas on the
exported arrays, errors, and (with torch) a `.pt` file like the official code writes."""

import collections

import numpy as np
import pytest
from golden import Golden, golden_files

from ugatit_tf.convert import pytorch
from ugatit_tf.models import UGATITDiscriminator, UGATITGenerator, build_networks

CH, IMG = 4, 32
IMAGES = np.random.default_rng(0).uniform(-1, 1, (1, IMG, IMG, 3)).astype(np.float32)


def generator(light):
    gen = UGATITGenerator(CH, 2, image_size=IMG, light=light)
    gen.build((None, IMG, IMG, 3))
    return gen


def discriminator(num_layers=4):
    disc = UGATITDiscriminator(CH, num_layers)
    disc.build((None, IMG, IMG, 3))
    disc(IMAGES, training=True)  # u, v away from their initial values
    return disc


NETS = {
    "gen_light": lambda: generator(True),
    "gen_full": lambda: generator(False),
    "disc": discriminator,
}


@pytest.mark.parametrize("make", NETS.values(), ids=NETS.keys())
def test_round_trip_through_pt_layout_is_exact(make):
    source, target = make(), make()
    state_dict = pytorch.export_state_dict(source)
    assert len(state_dict) == len(source.weights)  # every variable, u and v included
    pytorch.load_state_dict(target, state_dict)
    for s, t in zip(source.weights, target.weights):
        np.testing.assert_array_equal(t.numpy(), s.numpy(), err_msg=s.path)
    for a, b in zip(source(IMAGES), target(IMAGES)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    again = pytorch.export_state_dict(target)
    for key, value in state_dict.items():
        np.testing.assert_array_equal(again[key], value, err_msg=key)


def test_exported_shapes_are_pt_layouts():
    gen, disc = generator(False), discriminator()
    g, d = pytorch.export_state_dict(gen), pytorch.export_state_dict(disc)
    bottleneck = 4 * CH
    assert g["DownBlock.1.weight"].shape == (CH, 3, 7, 7)  # [out, in, kh, kw]
    assert g["FC.0.weight"].shape == (bottleneck, bottleneck * (IMG // 4) ** 2)
    assert g["UpBlock1_1.norm1.rho"].shape == (1, bottleneck, 1, 1)
    assert g["UpBlock2.3.gamma"].shape == (1, 2 * CH, 1, 1)
    assert g["conv1x1.weight"].shape == (bottleneck, 2 * bottleneck, 1, 1)
    assert d["model.1.weight_orig"].shape == (CH, 3, 4, 4)
    assert d["model.1.weight_v"].shape == (3 * 4 * 4,)
    assert d["gap_fc.weight_orig"].shape == (1, 4 * CH)  # 4 layers: 4 ch at the CAM
    assert "conv.bias" not in d and "model.1.bias" in d


def test_full_mode_flatten_order_is_pts():
    """PT's first MLP layer applied to the C,H,W-flattened map equals ours on H,W,C."""
    gen = generator(False)
    weight = pytorch.export_state_dict(gen)["FC.0.weight"]
    side, channels = IMG // 4, 4 * CH
    features = np.random.default_rng(1).standard_normal((2, side, side, channels))
    pt = np.transpose(features, (0, 3, 1, 2)).reshape(2, -1) @ weight.T
    ours = features.reshape(2, -1) @ gen.get_layer("mlp_dense1").kernel.numpy()
    np.testing.assert_allclose(ours, pt, rtol=1e-5, atol=1e-5)
    # A plain transpose (no permutation) would be a different function.
    assert not np.allclose(features.reshape(2, -1) @ weight.T, pt, atol=1e-3)


def test_spectral_norm_state_satisfies_pts_power_iteration():
    """After a training call, PT's u = normalize(W v) with W = weight_orig.view(out, -1)."""
    state_dict = pytorch.export_state_dict(discriminator())
    for prefix in ("model.1", "model.4", "model.7", "conv", "gap_fc"):
        w = state_dict[f"{prefix}.weight_orig"]
        w = w.reshape(w.shape[0], -1).astype(np.float64)
        u, v = state_dict[f"{prefix}.weight_u"], state_dict[f"{prefix}.weight_v"]
        wv = w @ v
        np.testing.assert_allclose(u, wv / np.linalg.norm(wv), rtol=1e-4, atol=1e-5,
                                   err_msg=prefix)
        # sigma = u^T W v is positive and at most the largest singular value.
        assert 0 < u @ wv <= np.linalg.svd(w, compute_uv=False)[0] * (1 + 1e-5)


def test_missing_and_unexpected_keys_are_named():
    gen = generator(True)
    state_dict = pytorch.export_state_dict(gen)
    del state_dict["gamma.weight"]
    state_dict["extra.weight"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"^genA2B: 1 PyTorch key is missing: 'gamma.weight'; "
                                         r"1 PyTorch key has no variable here: "
                                         r"'extra.weight'; was the checkpoint written by a "
                                         r"different U-GAT-IT config \(--light \(this "
                                         r"generator is light\), --ch, --n_res, --img_size\)\?$"):
        pytorch.load_state_dict(gen, state_dict, net_name="genA2B")


def test_wrong_shape_is_named_and_nothing_is_assigned():
    gen = generator(True)
    before = [v.numpy().copy() for v in gen.weights]
    state_dict = {k: np.zeros_like(v) for k, v in pytorch.export_state_dict(gen).items()}
    state_dict["UpBlock2.2.weight"] = np.zeros((2 * CH, 4 * CH, 3, 5), np.float32)
    with pytest.raises(ValueError, match=r"^network: PyTorch key 'UpBlock2.2.weight' has "
                                         r"shape \(8, 16, 3, 5\), which does not convert to "
                                         r"the shape \(3, 3, 16, 8\) of the variable "
                                         r"'.*up1_conv/kernel'; was the checkpoint written by"):
        pytorch.load_state_dict(gen, state_dict)
    for b, v in zip(before, gen.weights):
        np.testing.assert_array_equal(v.numpy(), b, err_msg=v.path)


def test_full_weights_into_a_light_generator_suggest_the_mode():
    state_dict = pytorch.export_state_dict(generator(False))
    with pytest.raises(ValueError, match=r"'FC.0.weight' has shape \(16, 1024\).*"
                                         r"--light \(this generator is light\)"):
        pytorch.load_state_dict(generator(True), state_dict)


def test_a_missing_network_is_named():
    nets = build_networks(CH, 1, IMG, light=True, disc_global_layers=4, disc_local_layers=3)
    state_dicts = {name: pytorch.export_state_dict(net) for name, net in nets.items()}
    del state_dicts["disLB"]
    with pytest.raises(ValueError, match=r"^disLB: the checkpoint has no state_dict for "
                                         r"this network \(it has 'disGA', 'disGB', 'disLA', "
                                         r"'genA2B', 'genB2A'; the U-GAT-IT networks here"):
        pytorch.load_networks(nets, state_dicts)


def test_load_official_checkpoint_from_a_pt_file(tmp_path):
    torch = pytest.importorskip("torch")
    files = golden_files()
    assert files, "no golden files"
    golden = Golden(files[0])
    names = ("genA2B", "genB2A", "disGA", "disGB", "disLA", "disLB")
    # What the official UGATIT.save writes: {net name: net.state_dict()} of torch tensors.
    params = {name: collections.OrderedDict(
        (k, torch.from_numpy(np.array(v))) for k, v in golden.state_dict(name).items())
        for name in names}
    path = tmp_path / "selfie2anime_params_latest.pt"
    torch.save(params, path)

    c = golden.config
    nets = build_networks(c["ch"], c["n_res"], c["img"], c["light"])
    pytorch.load_official_checkpoint(nets, path)
    for name, net in nets.items():
        exported = pytorch.export_state_dict(net)
        for key, value in golden.state_dict(name).items():
            np.testing.assert_array_equal(exported[key], value, err_msg=f"{name}/{key}")
    image = np.asarray(nets.gen_a2b(golden.real_a)[0])
    want = np.transpose(golden.data["forward/genA2B/out"], (0, 2, 3, 1))
    np.testing.assert_allclose(image, want, atol=1e-4 * np.max(np.abs(want)))


@pytest.mark.parametrize("kwargs, message", [
    (dict(decoder_norm="layer"), r"gen: the official PyTorch U-GAT-IT has no "
                                 r"decoder_norm='layer' \(a paper ablation\); only networks "
                                 r"with decoder_norm='adalin' convert"),
    (dict(use_cam=False), r"gen: .* has no use_cam=False .*with use_cam=True convert"),
])
def test_ablation_generators_do_not_convert(kwargs, message):
    gen = UGATITGenerator(CH, 1, image_size=IMG, light=True, name="gen", **kwargs)
    gen.build((None, IMG, IMG, 3))
    for convert in (pytorch.export_state_dict, lambda net: pytorch.load_state_dict(net, {})):
        with pytest.raises(ValueError, match=message):
            convert(gen)


def test_ablation_discriminators_do_not_convert():
    disc = UGATITDiscriminator(CH, 3, use_cam=False, name="disc")
    disc.build((None, IMG, IMG, 3))
    with pytest.raises(ValueError, match=r"disc: .* has no use_cam=False"):
        pytorch.export_state_dict(disc)
