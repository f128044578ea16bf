"""Gradients of a Dense kernel used several times, as one product instead of several."""

import tensorflow as tf


def stacked_dense_gradients(tape, loss, variables, dense_calls):
    """`tape.gradient(loss, variables)`, with the gradient of some Dense kernels (no
    bias) computed from their calls' inputs and output gradients stacked.

    A kernel `W` called as `y_i = x_i @ W` has the gradient `sum_i x_i^T dy_i`. The
    tape forms each `x_i^T dy_i` as its own kernel-sized tensor and sums them once the
    last exists; for the full generator's first MLP kernel (268M weights at 256 px,
    three calls per iteration) those are GiBs held at once. Here the tape stops at
    the `y_i` and the kernel gradient is one matmul of the stacked `x_i` and `dy_i`:
    the same sum (rounding aside), one kernel-sized tensor.

    Args:
        tape: the `tf.GradientTape` that recorded the calls.
        loss: the scalar to differentiate.
        variables: the variables wanted, in order; they may include the kernels.
        dense_calls: `[(kernel, [(inputs, outputs), ...]), ...]`: the kernels to
            treat this way and every call of each under the tape.

    Returns:
        The gradients of `variables`, in their order.
    """
    kernel_ids = {id(kernel) for kernel, _ in dense_calls}
    others = [v for v in variables if id(v) not in kernel_ids]
    outputs = [y for _, calls in dense_calls for _, y in calls]
    grads = tape.gradient(loss, others + outputs)
    by_id = {id(v): g for v, g in zip(others, grads[:len(others)], strict=True)}
    output_grads = iter(grads[len(others):])
    for kernel, calls in dense_calls:
        inputs = tf.concat([x for x, _ in calls], axis=0)
        dy = tf.concat([next(output_grads) for _ in calls], axis=0)
        grad = tf.matmul(tf.cast(inputs, dy.dtype), dy, transpose_a=True)
        by_id[id(kernel)] = tf.cast(grad, kernel.dtype)
    return [by_id[id(v)] for v in variables]
