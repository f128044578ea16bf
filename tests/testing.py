"""The checks every custom layer and model of ugatit_tf must pass (STYLE.md, "Every custom
layer"), in one helper: `run_layer_checks`; and the tiny training set-ups the trainer and
task tests share (`tiny_ugatit_config`, `built_optimizers`).

Each check compares against the eager float32 outputs of the layer under test, so a
layer that forgets an argument in `get_config`, loses its power-iteration state in a
`.keras` file, computes its statistics in bfloat16 or breaks under `strategy.run` fails.
"""

import inspect
import json
import os
import tempfile

import keras
import ml_dtypes
import numpy as np
import tensorflow as tf

BF16 = "mixed_bfloat16"


def _tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def to_numpy(outputs):
    """Outputs (a tensor or a tuple of them) as a tuple of float32 numpy arrays."""
    return tuple(np.asarray(keras.ops.convert_to_numpy(o)).astype(np.float32)
                 for o in _tuple(outputs))


def assert_outputs_close(actual, expected, rtol=1e-6, what=""):
    """Every array within `rtol` of the expected array's largest magnitude."""
    actual, expected = to_numpy(actual), to_numpy(expected)
    assert len(actual) == len(expected), f"{what}: {len(actual)} vs {len(expected)} outputs"
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a.shape == e.shape, f"{what} output {i}: shape {a.shape} != {e.shape}"
        scale = max(float(np.max(np.abs(e))), 1e-30)
        err = float(np.max(np.abs(a - e)))
        assert err <= rtol * scale, f"{what} output {i}: max error {err:.3g}, scale {scale:.3g}"


def assert_variables_equal(actual, expected, what=""):
    """Same variables (by path, trainable or not) with the same values."""
    a = {v.path.split("/", 1)[-1]: np.asarray(v.numpy()) for v in actual}
    e = {v.path.split("/", 1)[-1]: np.asarray(v.numpy()) for v in expected}
    assert sorted(a) == sorted(e), f"{what}: variables {sorted(a)} != {sorted(e)}"
    for path in e:
        np.testing.assert_array_equal(a[path], e[path], err_msg=f"{what}: {path}")


def round_to_bfloat16(x):
    return np.asarray(x).astype(ml_dtypes.bfloat16).astype(np.float32)


class _Caller:
    """Calls a layer with its fixed keyword arguments (and `training`, if it takes one)."""

    def __init__(self, layer, call_kwargs):
        self.call_kwargs = dict(call_kwargs or {})
        self.takes_training = "training" in inspect.signature(layer.call).parameters

    def __call__(self, layer, *args, training=False):
        kwargs = dict(self.call_kwargs)
        if self.takes_training:
            kwargs["training"] = training
        # An output a network leaves out (None: no CAM) is not compared.
        return tuple(o for o in _tuple(layer(*args, **kwargs)) if o is not None)


def clone_layer(layer, inputs, caller):
    """A new layer from the JSON-serialized config, built, with the same weights."""
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(layer)))
    clone = keras.saving.deserialize_keras_object(config)
    caller(clone, *inputs)  # builds (inference mode: no state is written)
    clone.set_weights(layer.get_weights())
    return clone


def check_config_round_trip(layer, inputs, caller, expected):
    config = layer.get_config()
    json_config = json.loads(json.dumps(config))
    rebuilt = type(layer).from_config(json_config)
    assert json.loads(json.dumps(rebuilt.get_config())) == json_config, "get_config round trip"
    clone = clone_layer(layer, inputs, caller)
    assert type(clone) is type(layer)
    assert_outputs_close(caller(clone, *inputs), expected, 0.0, "from_config + set_weights")


def check_symbolic_call(layer, inputs, caller, expected, dynamic_spatial):
    shapes = [x.shape[1:] for x in inputs]
    cases = [(shapes, False)]
    if dynamic_spatial:  # unknown height and width for every image input
        cases.append(([(None, None, s[-1]) if len(s) == 3 else s for s in shapes], True))
    for case, dynamic in cases:
        symbolic = caller(layer, *[keras.Input(shape=s) for s in case])
        assert len(symbolic) == len(expected), "number of symbolic outputs"
        for i, (s, e) in enumerate(zip(symbolic, expected)):
            assert isinstance(s, keras.KerasTensor), f"symbolic output {i} is {type(s)}"
            want = [None, *e.shape[1:]]
            if dynamic and len(want) == 4:
                want[1] = want[2] = None
            assert tuple(s.shape) == tuple(want), f"symbolic output {i}: {s.shape} != {want}"


def check_keras_file(layer, inputs, caller, expected):
    if isinstance(layer, keras.Model):
        model = layer
    else:  # wrap the layer in a small functional model
        symbolic = [keras.Input(shape=x.shape[1:]) for x in inputs]
        model = keras.Model(symbolic, list(caller(layer, *symbolic)))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
    assert_variables_equal(loaded.weights, model.weights, ".keras load")
    args = inputs if isinstance(layer, keras.Model) else [list(inputs)]
    if isinstance(layer, keras.Model):
        outputs = caller(loaded, *args)
    else:
        outputs = _tuple(loaded(*args, training=False))
    assert_outputs_close(outputs, expected, 1e-6, ".keras save/load")


def check_tf_function(layer, inputs, caller, expected):
    fn = tf.function(lambda *args: caller(layer, *args, training=False))
    # Graph and eager kernels may round differently: 1e-5 of the scale.
    assert_outputs_close(fn(*inputs), expected, 1e-5, "tf.function")
    if caller.takes_training:
        eager, compiled = clone_layer(layer, inputs, caller), clone_layer(layer, inputs, caller)
        want = caller(eager, *inputs, training=True)
        fn = tf.function(lambda *args: caller(compiled, *args, training=True))
        assert_outputs_close(fn(*inputs), want, 1e-5, "tf.function, training")
        for a, e in zip(compiled.weights, eager.weights):
            np.testing.assert_allclose(a.numpy(), e.numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=f"tf.function training state {e.path}")


def mirrored_strategy():
    """A MirroredStrategy over the two logical CPUs of conftest.py, with collective keys
    of its own.

    Every MirroredStrategy numbers its collectives from the same group and instance keys,
    and the process-wide collective executor remembers each key's op: a second strategy
    whose first collective differs (an all-gather where the first strategy all-reduced)
    fails with "Collective instance 100 expected type ...". TF's own tests move the key
    base per strategy (`strategy_combinations.py`); so does this helper.
    """
    devices = [d.name for d in tf.config.list_logical_devices("CPU")[:2]]
    assert len(devices) == 2, "conftest.py should split the CPU into 2 logical devices"
    tf.distribute.MirroredStrategy._collective_key_base += 100_000
    return tf.distribute.MirroredStrategy(devices)


def check_mirrored_strategy(layer, inputs, caller):
    strategy = mirrored_strategy()
    modes = (False, True) if caller.takes_training else (False,)
    for training in modes:
        reference = clone_layer(layer, inputs, caller)
        want = caller(reference, *inputs, training=training)
        with strategy.scope():
            replicated = clone_layer(layer, inputs, caller)

        @tf.function
        def step(*args, replicated=replicated, training=training):
            return strategy.run(lambda *a: caller(replicated, *a, training=training), args=args)

        outputs = step(*[tf.constant(x) for x in inputs])
        for replica in range(strategy.num_replicas_in_sync):
            local = tuple(strategy.experimental_local_results(o)[replica] for o in outputs)
            assert_outputs_close(local, want, 1e-5, f"replica {replica}, training={training}")
        for v, e in zip(replicated.weights, reference.weights):
            for value in strategy.experimental_local_results(v.value):
                np.testing.assert_allclose(
                    value.numpy(), e.numpy(), rtol=1e-5, atol=1e-6,
                    err_msg=f"MirroredStrategy, training={training}: {e.path}")


def check_bfloat16(layer_factory, layer, inputs, caller, float32_statistics, float32_outputs,
                   tolerance, symbolic):
    mixed = layer_factory(dtype=BF16)
    assert mixed.compute_dtype == "bfloat16" and mixed.variable_dtype == "float32"
    caller(mixed, *inputs)
    mixed.set_weights(layer.get_weights())
    for v in mixed.weights:
        assert v.dtype == "float32", f"{v.path} is {v.dtype} under {BF16}"
    # Both layers see the same bf16-representable inputs, whether or not they autocast.
    rounded = [round_to_bfloat16(x) for x in inputs]
    outputs = caller(mixed, *rounded)
    want_dtype = "float32" if float32_outputs else "bfloat16"
    for i, out in enumerate(outputs):
        assert keras.backend.standardize_dtype(out.dtype) == want_dtype, \
            f"{BF16} output {i} is {out.dtype}, expected {want_dtype}"
    if symbolic:
        syms = caller(mixed, *[keras.Input(shape=x.shape[1:]) for x in inputs])
        for i, sym in enumerate(syms):
            assert sym.dtype == want_dtype, f"{BF16} symbolic output {i} is {sym.dtype}"

    # With float32 statistics the only error left is the rounding of the output: 2^-9 of
    # each element.
    expected = to_numpy(caller(layer, *rounded))
    for i, (out, e) in enumerate(zip(to_numpy(outputs), expected)):
        err = np.abs(out - e)
        if float32_statistics:
            bound = 2.0 ** -8 * np.abs(e) + 1e-6 * np.max(np.abs(e))
            assert np.all(err <= bound), \
                f"{BF16} output {i}: error {np.max(err - bound):.3g} above output rounding"
        else:
            scale = np.max(np.abs(e))
            assert np.max(err) <= tolerance * scale, \
                f"{BF16} output {i}: max error {np.max(err):.3g}, scale {scale:.3g}"

    if caller.takes_training and mixed.non_trainable_weights:  # state computed in float32
        reference = clone_layer(layer, inputs, caller)
        caller(reference, *inputs, training=True)
        caller(mixed, *inputs, training=True)
        for v, e in zip(mixed.non_trainable_weights, reference.non_trainable_weights):
            np.testing.assert_allclose(v.numpy(), e.numpy(), rtol=1e-6, atol=1e-7,
                                       err_msg=f"{BF16} state {e.path}")


def run_layer_checks(layer_factory, inputs, *, call_kwargs=None, float32_statistics=False,
                     float32_outputs=False, bf16_tolerance=0.05, dynamic_spatial=True,
                     distributed=True, symbolic=True):
    """Runs the shared checks on a custom layer or model.

    Args:
        layer_factory: `factory(**kwargs)` returning a new, unbuilt layer; it must pass
            `kwargs` (e.g. `dtype`) on to the layer.
        inputs: one array or a tuple of arrays: the positional call arguments.
        call_kwargs: fixed keyword arguments of every call.
        float32_statistics: the layer claims float32 statistics (normalisation): under
            mixed_bfloat16 its outputs must equal the float32 ones up to the final rounding.
            State written in training calls (the power iteration) must always match the
            float32 layer's.
        float32_outputs: outputs stay float32 under mixed_bfloat16 (models).
        bf16_tolerance: otherwise, bf16 outputs within this fraction of the largest value.
        dynamic_spatial: also call on `keras.Input`s with unknown height and width.
        distributed: run the MirroredStrategy check.
        symbolic: run the checks that call on `keras.Input`s. A network that returns
            None for an output it leaves out (no CAM) cannot be called symbolically:
            Keras wants every symbolic output to be a tensor.

    Returns:
        The built float32 layer.
    """
    inputs = tuple(np.asarray(x, np.float32) for x in _tuple(inputs))
    layer = layer_factory()
    caller = _Caller(layer, call_kwargs)
    caller(layer, *inputs)
    if caller.takes_training:  # move the state (spectral norm u, v) away from its init
        caller(layer, *inputs, training=True)
    expected = to_numpy(caller(layer, *inputs))

    check_config_round_trip(layer, inputs, caller, expected)
    if symbolic:
        check_symbolic_call(layer, inputs, caller, expected, dynamic_spatial)
    check_keras_file(layer, inputs, caller, expected)
    check_tf_function(layer, inputs, caller, expected)
    if distributed:
        check_mirrored_strategy(layer, inputs, caller)
    check_bfloat16(layer_factory, layer, inputs, caller, float32_statistics, float32_outputs,
                   bf16_tolerance, symbolic)
    return layer


def tiny_ugatit_config(iterations, save_freq, synthetic_size=8, batch_size=1):
    """The demo preset shrunk to seconds per step on a CPU: ch 4, one residual block,
    32 px, the smallest discriminators for 32 px, `synthetic_size` images per domain."""
    from configs import demo

    config = demo.get_config()
    config.model.base_filters = 4
    config.model.num_res_blocks = 1
    config.model.image_size = 32
    config.model.disc_global_layers = 4
    config.model.disc_local_layers = 3
    config.data.synthetic_size = synthetic_size
    config.data.shuffle_buffer = synthetic_size
    config.data.batch_size = batch_size
    config.train.iterations = iterations
    config.train.save_freq = save_freq
    config.train.print_freq = 1000
    return config


def built_optimizers(task):
    """`task.make_optimizers()`, built for the task's generator and discriminator
    variables (what the Trainer does before its first step)."""
    optimizers = task.make_optimizers()
    optimizers["generator"].build([v for n in task.generator_networks
                                   for v in n.trainable_variables])
    optimizers["discriminator"].build([v for n in task.discriminator_networks
                                       for v in n.trainable_variables])
    return optimizers
