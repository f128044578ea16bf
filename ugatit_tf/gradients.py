"""Gradients of a Dense kernel used several times, as one product instead of several."""

import tensorflow as tf

from ugatit_tf.layers.switches import TraceSwitch

# The most stacked rows whose kernel gradient `stacked_dense_gradients` forms as a sum of
# outer products (see `outer_product_kernel_gradients`); 0: always the matmul.
_OUTER_PRODUCT_ROWS = TraceSwitch(0)
# The rows that the Trainer's XLA steps allow: the unrolled sum adds a multiply and an
# add per row to the traced graph, and 16 rows is the full model's three calls at a
# per-replica batch of 5. Per weight, 16 multiply-adds cost less than the update's
# 24 bytes of memory traffic (an H200 does ~34T float32 multiply-adds/s, moves ~0.2T
# weights' 24 bytes/s), so the fused sum stays memory-bound.
XLA_OUTER_PRODUCT_ROWS = 16


def outer_product_kernel_gradients(max_rows):
    """Functions traced inside form a stacked kernel gradient of at most `max_rows`
    rows as `sum_r x_r^T dy_r`, one broadcast product per row, instead of a matmul.

    The sum is elementwise, so XLA fuses it into its consumer, the optimizer's update:
    the kernel-sized gradient (1 GiB per full generator at 256 px) is then neither
    written nor read back. Without XLA each term would be a kernel-sized tensor, so the
    default is 0 (the matmul); the Trainer sets `XLA_OUTER_PRODUCT_ROWS` for its XLA
    steps (`Trainer.fuse_kernel_gradients`).
    """
    if max_rows < 0:
        raise ValueError(f"max_rows must be >= 0, got {max_rows}.")
    return _OUTER_PRODUCT_ROWS.set(max_rows)


def _kernel_gradient(inputs, dy):
    """`inputs^T dy`: a sum of outer products when `_OUTER_PRODUCT_ROWS` allows."""
    inputs = tf.cast(inputs, dy.dtype)
    rows = inputs.shape[0]
    if rows is None or rows > _OUTER_PRODUCT_ROWS.value:
        return tf.matmul(inputs, dy, transpose_a=True)
    grad = inputs[0][:, None] * dy[0][None, :]
    for r in range(1, rows):
        grad += inputs[r][:, None] * dy[r][None, :]
    return grad


def stacked_dense_gradients(tape, loss, variables, dense_calls):
    """`tape.gradient(loss, variables)`, with the gradient of some Dense kernels (no
    bias) computed from their calls' inputs and output gradients stacked.

    A kernel `W` called as `y_i = x_i @ W` has the gradient `sum_i x_i^T dy_i`. The
    tape forms each `x_i^T dy_i` as its own kernel-sized tensor and sums them once the
    last exists; for the full generator's first MLP kernel (268M weights at 256 px,
    three calls per iteration) those are GiBs held at once. Here the tape stops at
    the `y_i` and the kernel gradient is one matmul of the stacked `x_i` and `dy_i`:
    the same sum (rounding aside), one kernel-sized tensor (inside
    `outer_product_kernel_gradients`, a sum of the rows' outer products that XLA fuses
    into the update).

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
    fused = bool(_OUTER_PRODUCT_ROWS.value)
    inputs = [x for _, calls in dense_calls for x, _ in calls] if fused else []
    grads = tape.gradient(loss, others + outputs + inputs)
    by_id = {id(v): g for v, g in zip(others, grads[:len(others)], strict=True)}
    output_grads = iter(grads[len(others):len(others) + len(outputs)])
    input_grads = iter(grads[len(others) + len(outputs):])
    for kernel, calls in dense_calls:
        x = tf.concat([x for x, _ in calls], axis=0)
        dy = tf.concat([next(output_grads) for _ in calls], axis=0)
        if fused:
            dy = _after(dy, [next(input_grads) for _ in calls])
        by_id[id(kernel)] = tf.cast(_kernel_gradient(x, dy), kernel.dtype)
    return [by_id[id(v)] for v in variables]


def _after(tensor, others):
    """`tensor`, computed after `others` under XLA: plus 0 times their sum.

    Given a kernel's output gradients, the input gradients are `dy W^T`, reads of the
    kernel. With its update depending on them, XLA lets the update overwrite the kernel
    in place; otherwise it copies the kernel first (1 GiB per full generator at
    256 px), as a read may still be pending. XLA keeps `0 * s` (it is NaN for an
    infinite s); a non-finite gradient spoils the update either way.
    """
    sums = [tf.reduce_sum(tf.cast(o, tensor.dtype)) for o in others if o is not None]
    return tensor + 0.0 * tf.add_n(sums) if sums else tensor
