"""Valid convolutions as one matmul of their input windows (im2col), behind a switch.

On GPUs, XLA (TF 2.21) runs each cuDNN convolution as its own call, outside the command
buffers (CUDA graphs) that hold the step's other kernels: the light step's ~356 convs per
iteration split it into ~185 launches (bench/RESULTS.md, fifth lease). A matmul and
the slices that make its windows are kernels a command buffer holds. Inside
`convs_as_matmul("GPU")` the generators' convs (`WindowsConv2D`, `UpsampleConv2D`) and
the spectral-norm convs run that way on GPUs; the default, no device type, keeps the
convolutions. It is the same function (tests/layers/test_windows_matmul.py), but not
faster: on the H200 bench/gpu_bench.py's `matmulconvs` variant ran 0.9 ms slower per
light iteration with twice the memory and a 40% longer cold compile (eighth lease).

`convs_as_matmul("GPU", max_filters=1)` takes only the convs to one channel, the
discriminators' heads (4x4 convs to a logit map), which the H200's profiles show in
cuDNN's slowest kernels per call (`*_wo_smem`, 2.2 ms of each light iteration): four
convs change, a small change to the traced step. Its losses match the default's on the
GPU (ninth lease's check), but the gain did not hold: 1.0-1.1 ms off a light iteration
while other processes held the GPU's memory (eighth and ninth leases), none in the full
model, and 35.8 against 35.7 ms when each ran alone from the cache; it stays off.
"""

import keras
import tensorflow as tf
from keras import ops

from ugatit_tf.layers.switches import TraceSwitch

# A conv whose windows matrix would have more entries per image than this keeps the
# convolution: the generator's 7x7 head to 3 channels at 256 px would make an 822 MB
# matrix per image for a 3-column product. Every other conv of U-GAT-IT at 256 px makes
# at most ~9.6M entries per image.
MAX_WINDOW_ENTRIES_PER_IMAGE = 2**25
_SWITCH = TraceSwitch(((), None))  # (device types, max_filters)


def convs_as_matmul(*device_types, max_filters=None):
    """Convs traced inside run as windows matmuls on these device types ("CPU", "GPU");
    with `max_filters`, only convs to at most that many output channels."""
    return _SWITCH.set((tuple(device_types), max_filters))


def device_type(tensor):
    """The device type ("CPU", "GPU") where `tensor` is placed: from its device if it
    has one (eager tensors, and graph tensors under a device scope such as a
    tf.distribute replica's), else GPU if the machine has one."""
    device = getattr(tensor, "device", "") or ""
    if device:
        return tf.DeviceSpec.from_string(device).device_type
    return "GPU" if tf.config.list_logical_devices("GPU") else "CPU"


def output_size(size, kernel_size, strides):
    return None if size is None else (size - kernel_size) // strides + 1


def patches(inputs, kernel_size, strides):
    """im2col: the `[N * H' * W', k * k * C]` matrix of the valid conv's input windows,
    columns in the kernel's (kh, kw, C) order."""
    out_h, out_w = (output_size(d, kernel_size, strides) for d in inputs.shape[1:3])
    windows = [inputs[:, i:i + strides * (out_h - 1) + 1:strides,
                      j:j + strides * (out_w - 1) + 1:strides, :]
               for i in range(kernel_size) for j in range(kernel_size)]
    return tf.reshape(tf.concat(windows, axis=-1), (-1, kernel_size**2 * inputs.shape[-1]))


def takes_matmul(inputs, kernel_size, strides, filters):
    """Whether a valid `kernel_size` conv of `inputs` to `filters` channels runs as a
    windows matmul here."""
    _, height, width, channels = inputs.shape
    devices, max_filters = _SWITCH.value
    if not devices or None in (height, width, channels):
        return False  # off (the default): no device lookup while every conv is traced
    if max_filters is not None and filters > max_filters:
        return False
    if device_type(inputs) not in devices:
        return False
    rows = output_size(height, kernel_size, strides) * output_size(width, kernel_size, strides)
    return rows * kernel_size**2 * channels <= MAX_WINDOW_ENTRIES_PER_IMAGE


def valid_conv(inputs, kernel, strides=1):
    """`conv2d(inputs, kernel)`, valid padding, square kernel and strides: the windows
    matmul where `takes_matmul` says so, else the convolution."""
    k, units = kernel.shape[0], kernel.shape[-1]
    if not takes_matmul(inputs, k, strides, units):
        return ops.conv(inputs, kernel, strides=strides, padding="valid")
    out = tf.matmul(patches(inputs, k, strides), tf.reshape(kernel, (-1, units)))
    height, width = (output_size(d, k, strides) for d in inputs.shape[1:3])
    return tf.reshape(out, (-1, height, width, units))


@keras.saving.register_keras_serializable(package="ugatit_tf")
class WindowsConv2D(keras.layers.Conv2D):
    """`keras.layers.Conv2D` (valid padding, square kernel and strides, no dilation or
    groups, NHWC) whose convolution runs through `valid_conv`: a windows matmul inside
    `convs_as_matmul`, the same convolution outside. Same weights and config."""

    def __init__(self, filters, kernel_size, strides=1, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, **kwargs)
        k, s = self.kernel_size, self.strides
        if (self.padding != "valid" or k[0] != k[1] or s[0] != s[1]
                or self.dilation_rate != (1, 1) or self.groups != 1
                or self.data_format != "channels_last"):
            raise ValueError(f"{type(self).__name__} takes valid padding, a square kernel "
                             f"and strides, no dilation or groups, channels_last; got "
                             f"{self.get_config()}.")

    def convolution_op(self, inputs, kernel):
        return valid_conv(inputs, kernel, self.strides[0])
