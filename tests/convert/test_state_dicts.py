"""The loop that every importer shares (`convert.state_dicts`), on a toy family of Dense
layers: one test per error a wrong state_dict or checkpoint triggers, and the promise that
nothing is assigned unless everything converts."""

import re

import keras
import numpy as np
import pytest

from ugatit_tf.convert.pytorch import dense_kernel, identity
from ugatit_tf.convert.state_dicts import StateDictConverter

TOY = StateDictConverter(
    "Toy",
    lambda net: {"fc.weight": (net.kernel, dense_kernel), "fc.bias": (net.bias, identity)},
    lambda net: f"--units ({net.units} here)",
    ignored_suffixes=(".num_batches_tracked",))


def dense(units=3, seed=0):
    layer = keras.layers.Dense(units, kernel_initializer=keras.initializers.RandomNormal(
        seed=seed), bias_initializer=keras.initializers.RandomNormal(seed=seed + 1))
    layer.build((None, 2))
    return layer


def values(layer):
    return [v.numpy().copy() for v in layer.weights]


def test_round_trip_and_ignored_buffers():
    source, target = dense(seed=0), dense(seed=10)
    state = TOY.export_state_dict(source)
    assert state["fc.weight"].shape == (3, 2)  # PT's [out, in]
    TOY.load_state_dict(target, {**state, "fc.num_batches_tracked": np.int64(7)})
    for a, b in zip(values(target), values(source)):
        np.testing.assert_array_equal(a, b)


def test_a_missing_key_is_named_with_the_settings_to_check():
    state = TOY.export_state_dict(dense())
    del state["fc.bias"]
    message = ("fc: 1 PyTorch key is missing: 'fc.bias'; was the checkpoint written by a "
               "different Toy config (--units (3 here))?")
    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        TOY.load_state_dict(dense(), state, net_name="fc")


def test_unexpected_keys_are_counted_and_the_first_five_listed():
    state = TOY.export_state_dict(dense())
    state.update({f"extra{i}.weight": np.zeros(1) for i in range(7)})
    listed = ", ".join(f"'extra{i}.weight'" for i in range(5))
    with pytest.raises(ValueError, match=re.escape(
            f"fc: 7 PyTorch keys have no variable here: {listed} and 2 more; was")):
        TOY.load_state_dict(dense(), state, net_name="fc")


def test_a_mapped_key_with_an_ignored_suffix_is_still_loaded():
    """The suffixes drop only keys that the map lacks: a mapped one is never skipped."""
    converter = StateDictConverter("Toy", lambda net: {"bn.num_batches_tracked": (
        net.bias, identity)}, lambda net: "none", ignored_suffixes=(".num_batches_tracked",))
    layer = dense()
    converter.load_state_dict(layer, {"bn.num_batches_tracked": np.arange(3.0)})
    np.testing.assert_array_equal(layer.bias.numpy(), np.arange(3.0))


def test_a_wrong_shape_is_named_and_nothing_is_assigned():
    target = dense()
    before = values(target)
    state = TOY.export_state_dict(dense(units=4, seed=5))
    state["fc.bias"] = np.zeros(3)  # only the weight is wrong
    with pytest.raises(ValueError, match=re.escape(
            "fc: PyTorch key 'fc.weight' has shape (4, 2), which does not convert to the "
            f"shape (2, 3) of the variable '{target.kernel.path}'; was the checkpoint written "
            "by a different Toy config (--units (3 here))?")):
        TOY.load_state_dict(target, state, net_name="fc")
    for a, b in zip(values(target), before):
        np.testing.assert_array_equal(a, b)


def test_a_transform_that_cannot_apply_is_a_shape_error():
    state = TOY.export_state_dict(dense())
    state["fc.weight"] = np.zeros((3, 2, 1, 1))  # np.transpose gives (1, 1, 2, 3)
    with pytest.raises(ValueError, match=r"'fc.weight' has shape \(3, 2, 1, 1\), which "
                                         r"does not convert"):
        TOY.load_state_dict(dense(), state)


def test_a_missing_network_is_named_with_what_the_checkpoint_has():
    nets = {"G_A": dense(), "D_A": dense()}
    with pytest.raises(ValueError, match=re.escape(
            "D_A: the checkpoint has no state_dict for this network (it has 'G_A', 'G_B'; "
            "the Toy networks here are 'G_A', 'D_A'); was it written for another model")):
        TOY.load_networks(nets, {"G_A": TOY.export_state_dict(dense()),
                                 "G_B": TOY.export_state_dict(dense())})


def test_networks_load_all_or_nothing():
    source = {"G_A": dense(seed=0), "D_A": dense(seed=2)}
    target = {"G_A": dense(seed=10), "D_A": dense(seed=12)}
    before = {name: values(net) for name, net in target.items()}
    state = {name: TOY.export_state_dict(net) for name, net in source.items()}
    state["D_A"]["fc.bias"] = np.zeros(5)
    with pytest.raises(ValueError, match=r"^D_A: PyTorch key 'fc.bias' has shape \(5,\)"):
        TOY.load_networks(target, state)
    for name, net in target.items():  # G_A converted fine, yet is left as it was
        for a, b in zip(values(net), before[name]):
            np.testing.assert_array_equal(a, b)
    state["D_A"] = TOY.export_state_dict(source["D_A"])
    TOY.load_networks(target, state)
    for name, net in target.items():
        for a, b in zip(values(net), values(source[name])):
            np.testing.assert_array_equal(a, b)
