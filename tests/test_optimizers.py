"""`TorchAdam` against `torch.optim.Adam` itself, eager, traced and under a
MirroredStrategy, and the size of its traced update."""

import numpy as np
import pytest
import tensorflow as tf
from testing import mirrored_strategy

from ugatit_tf.optimizers import TorchAdam

torch = pytest.importorskip("torch")

# Shapes like a conv kernel, a bias and a scalar; two dtypes in one update.
SHAPES = [(3, 3, 2, 4), (4,), ()]
HYPER = dict(lr=2.0**-10,  # a float32 number: Keras keeps lr in a float32 variable
              betas=(0.5, 0.999), eps=1e-8, weight_decay=1e-4)  # U-GAT-IT's
STEPS = 4


def problem(seed=0):
    """Initial weights and one gradient per step and weight, float64."""
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=s) for s in SHAPES]
    # Gradients over several magnitudes, a few near eps, where eps's placement matters.
    grads = [[rng.normal(size=s) * 10.0 ** rng.integers(-9, 1, size=s) for s in SHAPES]
             for _ in range(STEPS)]
    return weights, grads


def torch_adam(weights, grads):
    params = [torch.nn.Parameter(torch.tensor(w)) for w in weights]
    optimizer = torch.optim.Adam(params, **HYPER)
    for step_grads in grads:
        for p, g in zip(params, step_grads, strict=True):
            p.grad = torch.tensor(g)
        optimizer.step()
    return [p.detach().numpy() for p in params]


def make_optimizer():
    return TorchAdam(learning_rate=HYPER["lr"], beta_1=HYPER["betas"][0],
                     beta_2=HYPER["betas"][1], epsilon=HYPER["eps"],
                     coupled_weight_decay=HYPER["weight_decay"])


@pytest.mark.parametrize("mode", ["eager", "function", "mirrored"])
def test_torch_adam_is_torchs_adam(mode):
    """Float64: the weights after 4 steps equal torch's to 1e-12 of their change (the
    two sum the same terms; lr and epsilon's bias corrections are folded differently,
    float64 rounding ~1e-16 relative)."""
    weights, grads = problem()
    expected = torch_adam(weights, grads)
    strategy = mirrored_strategy() if mode == "mirrored" else tf.distribute.get_strategy()
    with strategy.scope():
        variables = [tf.Variable(w) for w in weights]
        optimizer = make_optimizer()
        optimizer.build(variables)

    def apply(step_grads):
        optimizer.apply([tf.convert_to_tensor(g) for g in step_grads], variables)

    if mode == "mirrored":  # every replica applies the same gradients (summed: halved)
        step = tf.function(lambda gs: strategy.run(
            lambda: optimizer.apply([g / 2 for g in gs], variables)))
        apply = lambda step_grads: step([tf.constant(g) for g in step_grads])  # noqa: E731
    elif mode == "function":
        apply = tf.function(apply)
    for step_grads in grads:
        apply(step_grads)
    assert int(optimizer.iterations.numpy()) == STEPS
    for got, want, start in zip(variables, expected, weights, strict=True):
        change = np.max(np.abs(want - start))
        np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=1e-12 * change)


def test_bias_corrections_are_computed_once_per_update():
    """The bias-corrected lr and epsilon are one computation per update and dtype (two
    `Pow`, one per beta), not one per variable, which had made the update ~3x larger;
    and a float32 variable next to the float64 ones gets its own, in float32."""
    weights, grads = problem()
    variables = [tf.Variable(w) for w in weights] + [tf.Variable(np.ones(3, np.float32))]
    optimizer = make_optimizer()
    optimizer.build(variables)
    step_grads = [tf.constant(g) for g in grads[0]] + [tf.ones(3)]
    graph = tf.function(lambda: optimizer.apply(step_grads, variables)
                        ).get_concrete_function().graph
    op_types = [op.type for op in graph.get_operations()]
    assert op_types.count("ResourceApplyAdam") == len(variables)
    assert op_types.count("Pow") == 2 * 2  # per dtype: beta_1^t and beta_2^t
    apply_dtypes = {op.get_attr("T") for op in graph.get_operations()
                    if op.type == "ResourceApplyAdam"}
    assert apply_dtypes == {tf.float64, tf.float32}
