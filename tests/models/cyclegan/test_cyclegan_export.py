"""The CycleGAN generator exports to TFLite with builtin ops only (the transposed convs
and their cropping included) and gives the Keras numbers."""

import keras
import numpy as np
import tensorflow as tf

from ugatit_tf import export_lib
from ugatit_tf.layers.precision import float32_internals
from ugatit_tf.models.cyclegan import ResnetGenerator


def test_tflite_builtin_ops_and_numbers(tmp_path):
    gen = ResnetGenerator(4, 1)
    gen.build((None, 32, 32, 3))
    # as export_lib.export_task traces: float32 statistics (no float64 builtins)
    with float32_internals("float32"):
        archive = keras.export.ExportArchive()
        archive.track(gen)
        archive.add_endpoint("a2b", lambda images: {"image": gen(images)}, input_signature=[
            tf.TensorSpec([None, 32, 32, 3], tf.float32, name="images")])
        archive.write_out(str(tmp_path))
    model = export_lib.convert_tflite(str(tmp_path), "a2b", "float32")  # checks builtins
    assert "TRANSPOSE_CONV" in export_lib.tflite_operators(model)
    x = np.random.default_rng(0).uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)
    out = export_lib.run_tflite(model, x, "a2b")["image"]
    # float32 kernels of another runtime: ~1e-6 of the tanh output's scale of 1
    np.testing.assert_allclose(out, np.asarray(gen(x)), rtol=0, atol=1e-5)
