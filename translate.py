"""Translates a folder of images, or the test split, with a trained model.

    python translate.py --workdir=work_dirs/demo --input_dir=my_photos
    python translate.py --workdir=work_dirs/demo --input_dir=my_photos --direction=b2a --strips
    python translate.py --workdir=work_dirs/demo          # the test split

A folder's translations go to `<workdir>/translations/<folder name>_<direction>/` by
default, the test split's to `<workdir>/test/{A2B,B2A}/` (as `train.py --phase test`).
Images of any size and mode are resized to the model's size; `--keep_size` resizes the
translations back. `--strips` also writes each image's column of the sample grid
(U-GAT-IT: 7 tiles with the CAM heatmaps) to `strips/`.
"""

from absl import flags, logging

from ugatit_tf import app_errors, config_validation

_WORKDIR = flags.DEFINE_string("workdir", None, "Training work dir (config + checkpoints).",
                               required=True)
_CHECKPOINT = flags.DEFINE_string("checkpoint", None, "Checkpoint prefix "
                                  "(.../ckpt-N) [default: the latest in --workdir].")
_INPUT_DIR = flags.DEFINE_string("input_dir", None, "Folder of images to translate "
                                 "[default: the test split, like --phase test].")
_OUTPUT_DIR = flags.DEFINE_string("output_dir", None, "Where to write PNGs [default: "
                                  "<workdir>/translations/<input_dir's name>_<direction>; "
                                  "the test split: <workdir>/test].")
_DIRECTION = flags.DEFINE_enum("direction", "a2b", ["a2b", "b2a"], "Translation direction.")
_STRIPS = flags.DEFINE_bool("strips", False, "Also write each image's column of the "
                            "sample grid to strips/ (U-GAT-IT: 7 tiles with heatmaps).")
_KEEP_SIZE = flags.DEFINE_bool("keep_size", False, "Resize outputs to the input's size.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 8, "Images per generator call.")


def main(argv):
    del argv
    import os

    v = config_validation
    v.check_flag("batch_size", _BATCH_SIZE.value, v.at_least(1))
    if _INPUT_DIR.value is not None and not os.path.isdir(_INPUT_DIR.value):
        raise app_errors.UserError(
            f"--input_dir={_INPUT_DIR.value} is not a directory: pass a folder of images")

    from ugatit_tf import checkpoints, translation

    output_dir = _OUTPUT_DIR.value or translation.default_output_dir(
        _WORKDIR.value, _INPUT_DIR.value, _DIRECTION.value)
    if _INPUT_DIR.value is None:
        _, counts = translation.translate_test_split(_WORKDIR.value, output_dir,
                                                     _CHECKPOINT.value, _BATCH_SIZE.value)
        logging.info("Wrote %d A2B and %d B2A translations (with strips/) to %s",
                     counts["a2b"], counts["b2a"], output_dir)
        return
    paths = translation.list_inputs(_INPUT_DIR.value)  # bad input first, before the model
    task, config = checkpoints.load_task(_WORKDIR.value, _CHECKPOINT.value)
    count = translation.translate_folder(
        task, config.model.image_size, _INPUT_DIR.value, output_dir, _DIRECTION.value,
        _STRIPS.value, _KEEP_SIZE.value, _BATCH_SIZE.value, paths=paths)
    logging.info("Wrote %d translations to %s", count, output_dir)


if __name__ == "__main__":
    app_errors.run(main)
