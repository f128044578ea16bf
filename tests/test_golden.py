"""Our networks, losses and gradients against the official PyTorch numbers."""

import numpy as np
import pytest
import tensorflow as tf
from golden import Golden, golden_files, nchw_to_nhwc

from ugatit_tf import losses
from ugatit_tf.convert import pytorch

FILES = golden_files()
ids = [p.stem for p in FILES]


def test_golden_folder_has_files():
    assert FILES, "no .npz in the golden folder: ../shared/golden is missing or empty"


@pytest.fixture(scope="module", params=FILES, ids=ids)
def golden(request):
    g = Golden(request.param)
    g.nets = g.build_networks()
    return g


def assert_close_to_scale(actual, expected, rel, absolute=0.0, what=""):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = np.max(np.abs(expected))
    err = np.max(np.abs(actual - expected))
    assert err <= rel * scale + absolute, f"{what}: max error {err:.3g} vs scale {scale:.3g}"


def test_forward_outputs_match(golden):
    inputs = {"A": golden.real_a, "B": golden.real_b}
    sources = {"genA2B": "A", "genB2A": "B", "disGA": "A", "disLA": "A",
               "disGB": "B", "disLB": "B"}
    for name, net in golden.nets.items():
        outputs = net(inputs[sources[name]], training=False) if name.startswith("dis") \
            else net(inputs[sources[name]])
        for key, out in zip(("out", "cam_logit", "heatmap"), outputs):
            expected = golden.data[f"forward/{name}/{key}"]
            if expected.ndim == 4:
                expected = nchw_to_nhwc(expected)
            assert_close_to_scale(out, expected, 1e-4, 1e-6, f"{name}/{key}")


def _objective_and_gradients(golden, objective, variables):
    nets = golden.nets
    with tf.GradientTape() as tape:
        total, terms = objective(nets, golden.real_a, golden.real_b)
    return total, terms, dict(zip([id(v) for v in variables],
                                  tape.gradient(total, variables)))


@pytest.mark.parametrize("which", ["dloss", "gloss"])
def test_objectives_and_gradients_match(golden, which):
    if which == "dloss":
        objective, grad_prefix = losses.discriminator_objective, "dgrad"
        nets = golden.nets.discriminators
    else:
        objective, grad_prefix = losses.generator_objective, "ggrad"
        nets = golden.nets.generators
    variables = [v for net in nets for v in net.trainable_variables]
    total, terms, grads = _objective_and_gradients(golden, objective, variables)

    expected_terms = golden.loss_terms(which)
    assert sorted(terms) == sorted(expected_terms)
    for name, value in expected_terms.items():
        np.testing.assert_allclose(float(terms[name]), value, rtol=1e-4, err_msg=name)
    np.testing.assert_allclose(float(total), float(golden.data[f"{which}/total"]), rtol=1e-4)

    checked = 0
    for name, net in golden.nets.items():
        if net not in nets:
            continue
        head = f"{grad_prefix}/{name}/"
        keys = [k for k in golden.data.files if k.startswith(head)]
        assert len(keys) == len(net.trainable_variables), name
        entries = pytorch.name_map(net)
        for key in keys:
            variable, transform = entries[key[len(head):]]
            expected = transform(golden.data[key])
            assert_close_to_scale(grads[id(variable)], expected, 1e-3, what=key)
            checked += 1
    assert checked == len(variables)


def test_parameter_counts_match(golden):
    for name, net in golden.nets.items():
        count = sum(int(np.prod(v.shape)) for v in net.trainable_variables)
        assert count == int(golden.data[f"param_count/{name}"]), name
