"""Nearest-neighbour x2 upsampling written as broadcast + reshape."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="ugatit_tf")
class NearestUpsample2x(keras.layers.Layer):
    """Doubles height and width by repeating each pixel (`nn.Upsample(scale_factor=2)`).

    Broadcast + reshape rather than an image resize: its gradient compiles under XLA on
    CPU (there is no XLA kernel for ResizeNearestNeighborGrad) and it converts to builtin
    TFLite ops with dynamic height and width.

    Call arguments:
        inputs: `[N, H, W, C]`.

    Returns:
        `[N, 2H, 2W, C]`.
    """

    def call(self, inputs):
        shape = ops.shape(inputs)
        n, h, w, c = shape[0], shape[1], shape[2], shape[3]
        x = ops.expand_dims(ops.expand_dims(inputs, 2), 4)  # [N, H, 1, W, 1, C]
        x = ops.broadcast_to(x, (n, h, 2, w, 2, c))
        return ops.reshape(x, (n, h * 2, w * 2, c))

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        double = lambda d: None if d is None else 2 * d
        return (n, double(h), double(w), c)
