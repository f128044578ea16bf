"""Scores a trained model's translations of the test set, per direction.

    python evaluate.py --workdir=work_dirs/demo
    python evaluate.py --workdir=work_dirs/demo --inception_weights=path/to/weights_notop.h5
    python evaluate.py --saved_model=exports/demo/1 --dataset=synthetic

prints a table and writes `<workdir>/eval/metrics.json`: the domain classifier's
translation accuracy and KID on its features (offline, trained on trainA/trainB and cached
in `<workdir>/eval/`), and KID x100 +- std and FID on Inception-v3 features when ImageNet
Inception weights are available (see `ugatit_tf/evaluation/` for the conventions). For
`--saved_model` the eval dir is outside the export (see --eval_dir).
"""

from absl import flags

from ugatit_tf import app_errors, config_validation
from ugatit_tf.evaluation import metrics, options

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Training work dir (config.json + checkpoints/).")
flags.DEFINE_string("checkpoint", None,
                    "Checkpoint prefix (.../checkpoints/ckpt-N); default: the latest one.")
flags.DEFINE_string("saved_model", None,
                    "An exported SavedModel dir (a2b/b2a signatures) instead of --workdir.")
flags.DEFINE_string("dataset", None,
                    "Override the dataset: folder name under --data_root, tfds:<name> or "
                    "synthetic; default: the work dir's.")
flags.DEFINE_string("data_root", None, "Override the folder datasets' root.")
flags.DEFINE_integer("image_size", None, "Test image size; default: the model's.")
flags.DEFINE_list("metrics", None,
                  f"Any of {', '.join(options.ALL_METRICS)}; default: all that can run "
                  "(KID/FID only with Inception weights).")
flags.DEFINE_string("inception_weights", None,
                    "Path to the ImageNet InceptionV3 no-top weights (.h5) for KID/FID; "
                    "default: the Keras cache (~/.keras/models) if it holds them.")
flags.DEFINE_integer("batch_size", 16, "Images per generator / feature-extractor call.")
flags.DEFINE_string("output", None, "JSON path; default: <eval_dir>/metrics.json.")
flags.DEFINE_string("eval_dir", None,
                    "Cache of the domain classifier and default output dir [default: "
                    "<workdir>/eval; with --saved_model=<export>/<model>/<version>: "
                    "<the work dir it was exported from>/eval/<model>_<version>, or "
                    "~/.cache/ugatit_tf/eval/<model>_<version>_<hash> when that work dir "
                    "is not here; never inside the export, which TF Serving loads].")
flags.DEFINE_integer("classifier_steps", options.CLASSIFIER_STEPS,
                     "Domain classifier training steps (retrained when this changes).")
flags.DEFINE_integer("classifier_input_size", options.CLASSIFIER_INPUT_SIZE,
                     "Images are resized to this side for the domain classifier.")
flags.DEFINE_integer("kid_subsets", metrics.KID_NUM_SUBSETS, "KID: number of subsets.")
flags.DEFINE_integer("kid_subset_size", metrics.KID_MAX_SUBSET_SIZE,
                     "KID: maximum subset size (capped by the smaller image set).")


def main(argv):
    del argv
    v = config_validation
    v.check_flag("batch_size", FLAGS.batch_size, v.at_least(1))
    v.check_flag("image_size", FLAGS.image_size, v.image_size)
    v.check_flag("classifier_steps", FLAGS.classifier_steps, v.at_least(1))
    v.check_flag("classifier_input_size", FLAGS.classifier_input_size, v.at_least(16))
    v.check_flag("kid_subsets", FLAGS.kid_subsets, v.at_least(1))
    # The unbiased MMD estimate divides by m (m - 1): subsets need two images.
    v.check_flag("kid_subset_size", FLAGS.kid_subset_size, v.at_least(2))
    from ugatit_tf.evaluation import evaluator, pipeline  # TensorFlow starts here
    from ugatit_tf.evaluation.inception import InceptionWeightsError

    try:
        payload, path = pipeline.run(
            workdir=FLAGS.workdir, checkpoint=FLAGS.checkpoint, saved_model=FLAGS.saved_model,
            dataset=FLAGS.dataset, data_root=FLAGS.data_root, image_size=FLAGS.image_size,
            metric_names=FLAGS.metrics, inception_weights=FLAGS.inception_weights,
            batch_size=FLAGS.batch_size, output=FLAGS.output, eval_dir=FLAGS.eval_dir,
            classifier_steps=FLAGS.classifier_steps,
            classifier_input_size=FLAGS.classifier_input_size,
            kid_subsets=FLAGS.kid_subsets, kid_subset_size=FLAGS.kid_subset_size)
    except InceptionWeightsError as e:
        raise app_errors.UserError(str(e)) from None
    print()
    print(evaluator.format_table(payload))
    for note in payload["notes"]:
        print(f"\nNote: {note}")
    print(f"\nWrote {path}")


if __name__ == "__main__":
    app_errors.run(main)
