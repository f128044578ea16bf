"""AttentionGAN's networks: shared checks, the composition of the outputs from the masks,
the geo variant, shapes and bad arguments, the weight import's errors and round trip."""

import numpy as np
import pytest
from testing import run_layer_checks

from ugatit_tf.convert import attention_gan as convert
from ugatit_tf.models.attention_gan import (
    Scheme1Discriminator,
    Scheme1Generator,
    Scheme1ResnetBlock,
    Scheme2Generator,
    compose,
)


def images(size, batch=2, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (batch, size, size, 3)).astype(
        np.float32)


# BatchNorm's running statistics follow the bfloat16 activations of a mixed model, which
# the shared bf16 state check (state from float32 inputs) cannot expect: the models are
# checked with instance norm, BatchNorm itself in tests/layers/test_batch_norm.py.
def test_scheme1_block_shared_checks():
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 4)).astype(np.float32)
    run_layer_checks(lambda **kw: Scheme1ResnetBlock(4, "instance", **kw), x,
                     float32_statistics=False, bf16_tolerance=0.1)


def test_scheme1_generator_shared_checks():
    run_layer_checks(lambda **kw: Scheme1Generator(2, 1, "instance", **kw), images(16),
                     float32_outputs=True, bf16_tolerance=0.1)


def test_scheme1_discriminator_shared_checks():
    run_layer_checks(lambda **kw: Scheme1Discriminator(2, "instance", **kw), images(94),
                     float32_outputs=True, bf16_tolerance=0.1, dynamic_spatial=False)


@pytest.mark.parametrize("geo", [False, True])
def test_scheme2_generator_shared_checks(geo):
    run_layer_checks(lambda **kw: Scheme2Generator(2, 1, geo, **kw), images(16),
                     float32_outputs=True, bf16_tolerance=0.1)


def test_composition_from_masks():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (1, 4, 4, 3))
    content = rng.uniform(-1, 1, (1, 4, 4, 30))
    logits = rng.normal(size=(1, 4, 4, 10))
    att = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    fg = sum(content[..., 3 * i:3 * i + 3] * att[..., i:i + 1] for i in range(9))
    np.testing.assert_allclose(compose(x, content[..., :27], att), fg + x * att[..., 9:],
                               atol=1e-12)
    np.testing.assert_allclose(compose(x, content, att, geo=True),
                               fg + content[..., 27:] * att[..., 9:], atol=1e-12)


def test_scheme1_output_keeps_the_input_where_attention_is_zero():
    gen = Scheme1Generator(2, 1, dtype="float64")
    x = images(16, batch=1).astype(np.float64)
    result, att, content = (np.asarray(t) for t in gen(x))
    np.testing.assert_allclose(result, content * att + x * (1 - att), atol=1e-12)
    assert att.shape == (1, 16, 16, 1) and 0 < att.min() and att.max() < 1


def test_scheme2_geo_has_ten_content_images():
    image, att, content = Scheme2Generator(2, 1, geo=True)(images(16, batch=1))
    assert content.shape == (1, 16, 16, 30) and att.shape == (1, 16, 16, 10)


@pytest.mark.parametrize("make, message", [
    (lambda: Scheme1Generator(0), "base_filters"),
    (lambda: Scheme1Generator(4, norm="layer"), "norm must be one of"),
    (lambda: Scheme1Discriminator(4, norm="group"), "norm must be one of"),
    (lambda: Scheme2Generator(4, 0), "num_res_blocks"),
    (lambda: Scheme2Generator(4, 1, geo="yes"), "geo must be a bool"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_input_sizes_are_checked():
    with pytest.raises(ValueError, match="multiples of 4"):
        Scheme1Generator(2, 1)(images(18, batch=1))
    with pytest.raises(ValueError, match="at least 94"):
        Scheme1Discriminator(2)(images(92, batch=1))


@pytest.mark.parametrize("make, size", [
    (lambda: Scheme1Generator(2, 2), 16), (lambda: Scheme1Discriminator(2), 96),
    (lambda: Scheme2Generator(2, 2), 16)])
def test_state_dict_round_trip(make, size):
    net, other = make(), make()
    net.build((None, size, size, 3))
    other.build((None, size, size, 3))
    state = convert.export_state_dict(net)
    convert.load_state_dict(other, {**state, "model.2.num_batches_tracked": np.int64(3)})
    for a, b in zip(net.weights, other.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    wrong = dict(state)
    key = next(iter(wrong))
    wrong[key] = wrong[key][..., :1]
    with pytest.raises(ValueError, match=rf"^network: PyTorch key '{key}' has shape .* does "
                                         r"not convert .*AttentionGAN config \(scheme I"):
        convert.load_state_dict(other, wrong)
    with pytest.raises(ValueError, match=rf"^network: 1 PyTorch key is missing: '{key}'; was the "
                                         r"checkpoint written by a different AttentionGAN config"):
        convert.load_state_dict(other, {k: v for k, v in state.items() if k != key})
