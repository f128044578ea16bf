"""Spectrally normalised conv and dense layers with PyTorch's semantics (SPEC.md section 2)."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops
from testing import run_layer_checks

from ugatit_tf.layers import SpectralNormConv2D, SpectralNormDense, UnitNormal, spectral_norm

RNG = np.random.default_rng(0)
IMAGES = RNG.standard_normal((2, 9, 8, 3)).astype(np.float32)
SMALL_IMAGES = RNG.standard_normal((2, 5, 5, 3)).astype(np.float32)
VECTORS = RNG.standard_normal((3, 6)).astype(np.float32)


def state(layer):
    return layer.sn_u.numpy().copy(), layer.sn_v.numpy().copy()


def kernel_matrix(layer):
    """Our kernel as the [fan_in, out] matrix the power iteration uses (PT's W^T)."""
    kernel = layer.kernel.numpy().astype(np.float64)
    return kernel.reshape(-1, kernel.shape[-1])


def normalize(x):
    return x / max(np.linalg.norm(x), 1e-12)


def test_conv_shared_checks():
    run_layer_checks(lambda **kw: SpectralNormConv2D(5, 4, strides=2, **kw), IMAGES)


def test_conv_without_bias_shared_checks():
    run_layer_checks(lambda **kw: SpectralNormConv2D(1, 4, use_bias=False, **kw), IMAGES)


def test_dense_shared_checks():
    run_layer_checks(lambda **kw: SpectralNormDense(4, use_bias=True, **kw), VECTORS)


def test_state_is_only_first_replica_and_not_trainable():
    layer = SpectralNormConv2D(4, 4)
    layer.build((None, 8, 8, 3))
    assert [v.name for v in layer.trainable_weights] == ["kernel", "bias"]
    for v in (layer.sn_u, layer.sn_v):
        assert not v.trainable and v.aggregation == "only_first_replica"
    assert layer.sn_u.shape == (4,) and layer.sn_v.shape == (4 * 4 * 3,)
    for v in state(layer):  # PT initialises u and v as unit vectors
        np.testing.assert_allclose(np.linalg.norm(v), 1.0, rtol=1e-6)


def test_inference_calls_keep_the_state_and_training_calls_run_one_power_iteration():
    layer = SpectralNormConv2D(4, 4, strides=2)
    layer(IMAGES)
    u0, v0 = state(layer)
    first = np.asarray(layer(IMAGES, training=False))
    np.testing.assert_array_equal(np.asarray(layer(IMAGES)), first)
    np.testing.assert_array_equal(state(layer)[0], u0)
    np.testing.assert_array_equal(state(layer)[1], v0)

    out = np.asarray(layer(IMAGES, training=True))
    u1, v1 = state(layer)
    assert np.max(np.abs(u1 - u0)) > 1e-3, "a training call must update u"
    # PT: v = normalize(W^T u), u = normalize(W v), sigma = u^T W v, with W = M^T.
    m = kernel_matrix(layer)
    want_v = normalize(m @ u0)
    want_u = normalize(m.T @ want_v)
    np.testing.assert_allclose(v1, want_v, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(u1, want_u, rtol=1e-5, atol=1e-6)
    sigma = want_u @ m.T @ want_v
    kernel = (layer.kernel.numpy() / sigma).astype(np.float32)
    plain = keras.ops.conv(IMAGES, kernel, strides=2, padding="valid") + layer.bias.numpy()
    np.testing.assert_allclose(out, np.asarray(plain), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("make, inputs", [
    (lambda: SpectralNormConv2D(6, 3), IMAGES),
    (lambda: SpectralNormDense(5), VECTORS),
])
def test_normalized_kernel_has_unit_spectral_norm_after_training_calls(make, inputs):
    layer = make()
    layer(inputs)
    layer.kernel.assign(3.0 * layer.kernel)
    before = np.linalg.svd(kernel_matrix(layer), compute_uv=False)
    assert before[0] > 1.5  # so that reaching 1 means something
    step = tf.function(lambda x: layer(x, training=True))
    for _ in range(200):
        step(inputs)
    normalized = np.asarray(layer.normalized_kernel(training=False)).reshape(
        -1, layer.kernel.shape[-1])
    np.testing.assert_allclose(np.linalg.svd(normalized, compute_uv=False)[0], 1.0, rtol=1e-3)


def graph_op_types(layer, inputs):
    fn = tf.function(lambda x: layer(x, training=True))
    return {op.type for op in fn.get_concrete_function(tf.constant(inputs)).graph.get_operations()}


@pytest.mark.parametrize("device, matmul_devices, runs_as", [
    (None, None, "MatMul"),  # no device scope on a machine without a GPU: the CPU path
    ("/device:CPU:0", None, "MatMul"),
    ("/device:GPU:0", None, "MatMul"),  # traced only: placement waits for execution
    ("/device:GPU:0", ("CPU",), "Conv2D"),  # the switch for GPU benchmarks (snconv)
    ("/device:CPU:0", ("GPU",), "Conv2D"),
])
def test_matmul_path_is_chosen_by_device(device, matmul_devices, runs_as, monkeypatch):
    """The windows-matmul path of a large kernel with few output positions is taken on
    CPUs and GPUs unless `matmul_conv_devices` says otherwise, read from the device
    scope (a tf.distribute replica's) the layer is traced under."""
    monkeypatch.setattr(spectral_norm, "_MATMUL_MIN_KERNEL", 0)
    layer = SpectralNormConv2D(128, 4, use_bias=False)
    layer(SMALL_IMAGES)

    def traced(x):
        if device is None:
            return layer(x, training=True)
        with tf.device(device):
            return layer(tf.identity(x), training=True)

    def call(x):
        if matmul_devices is None:
            return traced(x)
        with spectral_norm.matmul_conv_devices(*matmul_devices):
            return traced(x)

    graph = tf.function(call).get_concrete_function(tf.constant(SMALL_IMAGES)).graph
    op_types = {op.type for op in graph.get_operations()}
    assert ("Conv2D" in op_types) == (runs_as == "Conv2D")  # the power iteration has MatMuls


@pytest.mark.parametrize("make, inputs, runs_as", [
    # Output smaller than the kernel: divides the output, with its own gradient.
    (lambda: SpectralNormConv2D(4, 3, strides=2, use_bias=False), IMAGES, "Conv2D"),
    # ... and with few positions (8) for its channels (128): a matmul of the windows
    # (for kernels of any size here, see the monkeypatch).
    (lambda: SpectralNormConv2D(128, 4, use_bias=False), SMALL_IMAGES, "MatMul"),
    # Output larger: divides the kernel, autodiff's gradient.
    (lambda: SpectralNormConv2D(2, 2, use_bias=False), IMAGES, "Conv2D"),
    (lambda: SpectralNormDense(4), VECTORS, "MatMul"),
])
def test_gradient_flows_through_sigma(make, inputs, runs_as, monkeypatch):
    """d/dW of L(W / sigma(W)) with u, v held constant, as torch's spectral_norm has it:
    dL/dW = G / sigma - <G, W> / sigma^2 * v u^T, G = dL/d(normalized kernel); and
    dL/dx is the plain layer's with the normalized kernel."""
    monkeypatch.setattr(spectral_norm, "_MATMUL_MIN_KERNEL", 0)
    layer = make()
    layer(inputs)
    op_types = graph_op_types(layer, inputs)
    assert runs_as in op_types and (runs_as == "MatMul") == ("Conv2D" not in op_types)
    weights = RNG.standard_normal(layer(inputs).shape).astype(np.float32)
    inputs = tf.constant(inputs)

    with tf.GradientTape(persistent=True) as tape:
        tape.watch(inputs)
        loss = ops.sum(layer(inputs, training=True) * weights)
    grad = tape.gradient(loss, layer.kernel).numpy()
    grad_inputs = tape.gradient(loss, inputs).numpy()

    u, v = state(layer)  # the values this training call used
    kernel = layer.kernel.numpy()
    sigma = float(u @ kernel_matrix(layer).T @ v)
    normalized = tf.Variable(kernel / sigma)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(inputs)
        if isinstance(layer, SpectralNormConv2D):
            out = ops.conv(inputs, normalized, strides=layer.strides, padding="valid")
        else:
            out = ops.matmul(inputs, normalized)
        plain_loss = ops.sum(out * weights)
    g = tape.gradient(plain_loss, normalized).numpy()
    want = g / sigma - np.sum(g * kernel) / sigma**2 * np.outer(v, u).reshape(kernel.shape)
    np.testing.assert_allclose(grad, want, rtol=1e-4, atol=1e-5 * np.max(np.abs(want)))
    # Keras' own SpectralNormalization would give g / sigma: the sigma term is not small.
    assert np.max(np.abs(grad - g / sigma)) > 1e-3 * np.max(np.abs(g / sigma))
    want_inputs = tape.gradient(plain_loss, inputs).numpy()
    np.testing.assert_allclose(grad_inputs, want_inputs, rtol=1e-4,
                               atol=1e-5 * np.max(np.abs(want_inputs)))


@pytest.mark.parametrize("make, inputs", [
    (lambda **kw: SpectralNormConv2D(4, 3, strides=2, use_bias=False, **kw), IMAGES),
    (lambda **kw: SpectralNormConv2D(128, 4, **kw), SMALL_IMAGES),  # windows matmul
    (lambda **kw: SpectralNormConv2D(2, 2, **kw), IMAGES),  # kernel-dividing alone
    (lambda **kw: SpectralNormConv2D(1, 3, use_bias=False, **kw), IMAGES),  # a head
    (lambda **kw: SpectralNormDense(4, use_bias=True, **kw), VECTORS[:2]),
    (lambda **kw: SpectralNormDense(1, **kw), VECTORS[:2]),  # CAM's classifiers
], ids=["conv", "conv_matmul", "conv_large_output", "conv_head", "dense", "dense_cam"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_batch_groups_call_is_one_call_per_part(make, inputs, dtype, monkeypatch):
    """A training call with batch_groups=2 on [x1; x2] is the calls on x1, then x2: the
    outputs, the gradients of the kernel, bias and inputs, and the stored u and v.
    Float64: to 1e-12 of each array's scale (only the summation order of the shared
    conv and of the two parts' kernel gradients differs); float32: 1e-5 (rounding)."""
    monkeypatch.setattr(spectral_norm, "_MATMUL_MIN_KERNEL", 0)
    keras.utils.set_random_seed(0)  # the kernel and u, v: how far round 1 is from round 2
    inputs = inputs.astype(dtype)
    one, grouped = make(dtype=dtype), make(dtype=dtype)
    one(inputs[:1])
    grouped(inputs[:1])
    for a, b in zip(one.weights, grouped.weights, strict=True):
        b.assign(a)
    n = inputs.shape[0] // 2
    parts = [tf.constant(inputs[:n]), tf.constant(inputs[n:])]
    weights = RNG.standard_normal(one(inputs).shape).astype(dtype)

    with tf.GradientTape(persistent=True) as tape:
        tape.watch(parts)
        outputs = [one(x, training=True) for x in parts]
        loss = sum(ops.sum(out * w) for out, w in zip(outputs, (weights[:n], weights[n:])))
    want = [tf.concat(outputs, 0), *tape.gradient(loss, one.trainable_weights),
            tf.concat(tape.gradient(loss, parts), 0)]
    joined = tf.constant(inputs)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(joined)
        out = grouped(joined, training=True, batch_groups=2)
        loss = ops.sum(out * weights)
    got = [out, *tape.gradient(loss, grouped.trainable_weights), tape.gradient(loss, joined)]

    tolerance = 1e-12 if dtype == "float64" else 1e-5
    for a, b in zip(got, want, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        np.testing.assert_allclose(a, b, rtol=0, atol=tolerance * np.max(np.abs(b)))
    for a, b in zip(state(grouped), state(one), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=tolerance)
    # The parts did get different sigmas: one sigma for both would differ by more than
    # the tolerance above. (With one output unit W is a single vector and every round
    # gives sigma = |W|.) Seeded: how much the second round moves sigma depends on W.
    if one.kernel.shape[-1] > 1:
        out = np.asarray(out)
        outputs_same_sigma = np.asarray(grouped(joined, training=False))
        assert np.max(np.abs(outputs_same_sigma - out)) > 10 * tolerance * np.max(np.abs(out))


@pytest.mark.parametrize("batch_groups, batch, message", [
    (0, 2, "batch_groups must be an int >= 1, got 0"),
    (True, 2, "batch_groups must be an int >= 1, got True"),
    (2, 3, "a batch of 3 does not split into batch_groups=2 equal parts"),
])
def test_bad_batch_groups(batch_groups, batch, message):
    layer = SpectralNormConv2D(4, 3)
    with pytest.raises(ValueError, match=message):
        layer(IMAGES[:1].repeat(batch, 0), training=True, batch_groups=batch_groups)


def test_unit_normal_initializer():
    x = np.asarray(UnitNormal(seed=3)((50,)))
    np.testing.assert_allclose(np.linalg.norm(x), 1.0, rtol=1e-6)
    assert UnitNormal.from_config(UnitNormal(seed=3).get_config()).seed == 3


@pytest.mark.parametrize("kwargs, message", [
    (dict(filters=0, kernel_size=4), "filters must be a positive int, got 0"),
    (dict(filters=-8, kernel_size=4), "filters must be a positive int, got -8"),
    (dict(filters=8, kernel_size=0), "kernel_size must be a positive int, got 0"),
    (dict(filters=8, kernel_size=4, strides=0), "strides must be a positive int, got 0"),
    (dict(filters=8, kernel_size=4, power_iterations=0), "power_iterations must be >= 1, got 0"),
])
def test_conv_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SpectralNormConv2D(**kwargs)


@pytest.mark.parametrize("units", [0, -1, 2.5])
def test_dense_bad_units(units):
    with pytest.raises(ValueError, match=f"units must be a positive int, got {units}"):
        SpectralNormDense(units)
