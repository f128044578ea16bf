"""Module-level switches that code reads while it is traced: the speed and precision
choices that are not layer arguments (`precision.float32_internals`,
`spectral_norm.matmul_conv_devices`, `windows_matmul.convs_as_matmul`,
`normalization.fused_layer_instance_norm`)."""

import contextlib


class TraceSwitch:
    """A value that functions traced inside `set(value)` read as `value`, and as the
    default outside any `set`. A function traced once keeps what it read."""

    def __init__(self, default):
        self.value = default

    @contextlib.contextmanager
    def set(self, value):
        previous, self.value = self.value, value
        try:
            yield
        finally:
            self.value = previous
