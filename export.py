"""Exports a training run's generators for TF Serving (SavedModel) and phones (TFLite).

    python export.py --workdir=work_dirs/demo
    python export.py --workdir=work_dirs/demo --checkpoint=work_dirs/demo/checkpoints/ckpt-4

writes `exports/demo/<version>/` (version = the largest existing one + 1): the SavedModel
with the signatures listed in `ugatit_tf/export_lib.py`, `tflite/{a2b,b2a}_{float32,
float16,int8}.tflite`, and `export_metadata.json` + `README.txt` stating the input
(RGB, [-1, 1], size) and each file's error against the Keras generator.
"""

import json
import os

from absl import flags, logging

from ugatit_tf import app_errors, config_validation
from ugatit_tf.app_errors import UserError

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Training work dir (config.json + checkpoints/).")
flags.DEFINE_string("checkpoint", None,
                    "Checkpoint prefix (.../checkpoints/ckpt-N); default: the latest one.")
flags.DEFINE_string("export_dir", "exports", "Parent of the <model name>/<version> dirs.")
flags.DEFINE_string("model_name", None, "Model name (TF Serving); default: the work dir's name.")
flags.DEFINE_integer("version", None, "Version number; default: the largest existing + 1.")
flags.DEFINE_enum("serving_direction", "a2b", list(config_validation.DIRECTIONS),
                  "Direction of the serving_default (bytes in, PNG out) signature.")
flags.DEFINE_list("tflite", list(config_validation.TFLITE_VARIANTS),
                  "TFLite variants per direction (float32, float16, int8); empty for none.")
flags.DEFINE_bool("verify", True,
                  "Compare the SavedModel and TFLite outputs with Keras on a random input.")


def main(argv):
    del argv
    if not FLAGS.workdir and not FLAGS.checkpoint:
        raise UserError("Pass --workdir (a training dir) or --checkpoint.")
    v = config_validation
    v.check_choices("tflite", FLAGS.tflite, v.TFLITE_VARIANTS)
    v.check_flag("version", FLAGS.version, v.at_least(1))
    logging.set_verbosity(logging.INFO)
    from ugatit_tf import export_lib

    path = export_lib.export(
        workdir=FLAGS.workdir, checkpoint=FLAGS.checkpoint, export_dir=FLAGS.export_dir,
        model_name=FLAGS.model_name, version=FLAGS.version,
        serving_direction=FLAGS.serving_direction, tflite_variants=FLAGS.tflite,
        verify=FLAGS.verify, progress=True)
    with open(os.path.join(path, export_lib.METADATA_FILE)) as f:
        print(export_lib.summary_text(path, json.load(f)))


if __name__ == "__main__":
    app_errors.run(main)
