"""Two equal U-GAT-IT discriminators (a pair such as disGA / disGB) as one computation.

Each iteration calls the members of a pair at the same time on inputs of one shape. On a
GPU the step is bound by the number of small kernels, so the pair runs as one network
of twice the channels: the inputs concatenated on the channel axis, each spectral-norm
conv a grouped convolution (`feature_group_count=2`) with the two kernels concatenated
on the output axis, the CAM block's classifiers one batched matmul and its mixing one
grouped 1x1 convolution; pads and activations run unchanged. The traced light step
has 8% fewer XLA instructions with it (the power iterations still run per network);
whether that makes a GPU step faster is not yet measured (bench/RESULTS.md).

Grouped convolutions rather than batched matmuls of the input windows
(`windows_matmul.patches`, as `SpectralNormConv2D` runs its large kernels): the windows
cost 16 strided slices and a concat per conv and their gradients as many ops again,
which made the traced step larger than the two calls (bench/reduction_census.py
--hlo). TF 2.21 runs grouped Conv2D and its gradients on the CPU in eager, graph and
XLA modes; on GPUs XLA hands convolutions to cuDNN, which has grouped ones (not yet
run there).
"""

import keras
from keras import ops

from ugatit_tf.layers import SpectralNormConv2D
from ugatit_tf.layers.cam_attention import stacked_cam_attention
from ugatit_tf.layers.precision import statistics_dtype
from ugatit_tf.layers.spectral_norm import stacked_spectral_norm_conv


def _check_pair(disc_a, disc_b, inputs_a, inputs_b):
    config = lambda d: (d.base_filters, d.num_layers, d.use_cam, d.dtype_policy.name)
    if config(disc_a) != config(disc_b):
        raise ValueError(
            f"paired discriminators need equal configs (base_filters, num_layers, "
            f"use_cam, dtype): {disc_a.name} has {config(disc_a)}, {disc_b.name} "
            f"{config(disc_b)}.")
    if tuple(inputs_a.shape) != tuple(inputs_b.shape):
        raise ValueError(f"paired discriminators need inputs of one shape, got "
                         f"{tuple(inputs_a.shape)} and {tuple(inputs_b.shape)}.")
    for disc, inputs in ((disc_a, inputs_a), (disc_b, inputs_b)):
        if not disc.built:
            disc.build(inputs.shape)
        disc._check_input_shape(inputs.shape)


def paired_discriminator_call(disc_a, disc_b, inputs_a, inputs_b, training=False,
                              batch_groups=1):
    """`(disc_a(inputs_a, ...), disc_b(inputs_b, ...))` as one computation.

    The same outputs, spectral-norm state updates (each layer runs and stores its own
    power-iteration rounds) and gradients as the two calls, up to float rounding: the
    variables stay in their networks and are concatenated inside the call.

    Args:
        disc_a, disc_b: `UGATITDiscriminator`s of equal config.
        inputs_a, inputs_b: `[N, H, W, 3]` images of one shape.
        training, batch_groups: as `UGATITDiscriminator.call`.

    Returns:
        `((logit_map, cam_logit, heatmap) of disc_a, (...) of disc_b)`, as the calls
        return them (`cam_logit` and `heatmap` None without CAM).

    Raises:
        ValueError: for networks of different configs or inputs of different shapes.
    """
    _check_pair(disc_a, disc_b, inputs_a, inputs_b)
    with keras.name_scope(f"{disc_a.name}_{disc_b.name}"):  # the ops' owner in traces
        return _paired_call(disc_a, disc_b, inputs_a, inputs_b, training, batch_groups)


def _paired_call(disc_a, disc_b, inputs_a, inputs_b, training, batch_groups):
    sn = {"training": training, "batch_groups": batch_groups}
    x = ops.concatenate([inputs_a, ops.cast(inputs_b, inputs_a.dtype)], axis=-1)
    for layer_a, layer_b in zip(disc_a.features, disc_b.features, strict=True):
        if isinstance(layer_a, SpectralNormConv2D):
            x = stacked_spectral_norm_conv([layer_a, layer_b], x, **sn)
        else:
            x = layer_a(x)  # pads and activations: no weights, per channel
    cam_logits = heatmaps = None
    if disc_a.cam is not None:
        x, cam_logits, heatmaps = stacked_cam_attention([disc_a.cam, disc_b.cam], x, **sn)
    logits = stacked_spectral_norm_conv([disc_a.head, disc_b.head], disc_a.head_pad(x),
                                        **sn)
    out = statistics_dtype(disc_a.compute_dtype)
    cast = lambda t: ops.cast(t, out)  # noqa: E731
    if cam_logits is None:
        return tuple((cast(logits[..., g:g + 1]), None, None) for g in range(2))
    return tuple((cast(logits[..., g:g + 1]), cast(cam_logits[g]),
                  cast(heatmaps[..., g:g + 1])) for g in range(2))
