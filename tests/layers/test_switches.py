"""TraceSwitch: the scoped module-level switches of the precision and speed choices."""

import pytest

from ugatit_tf.layers import normalization, precision, spectral_norm
from ugatit_tf.layers.switches import TraceSwitch


def test_set_scopes_nests_and_restores_after_an_error():
    switch = TraceSwitch("a")
    with switch.set("b"):
        assert switch.value == "b"
        with switch.set("c"):
            assert switch.value == "c"
        assert switch.value == "b"
    assert switch.value == "a"
    with pytest.raises(RuntimeError), switch.set("d"):
        raise RuntimeError("inside")
    assert switch.value == "a"


def test_the_library_switches_and_their_defaults():
    """The three switches' defaults, as the docs state them, and their setters."""
    assert precision.internal_dtype("float32") == "float64"
    with precision.float32_internals("float32"):
        assert precision.internal_dtype("float32") == "float32"
    assert spectral_norm._MATMUL_DEVICES.value == ("CPU", "GPU")
    with spectral_norm.matmul_conv_devices("CPU"):
        assert spectral_norm._MATMUL_DEVICES.value == ("CPU",)
    assert normalization._FUSED_LIN.value is True
    with normalization.fused_layer_instance_norm(False):
        assert normalization._FUSED_LIN.value is False
    assert normalization._FUSED_LIN.value is True
