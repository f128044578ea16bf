"""Export of a task's trained generators: a TF Serving SavedModel and LiteRT files.

Layout written by `export` (TF Serving's: one integer directory per version):

    <export_dir>/<model name>/<version>/
        saved_model.pb, variables/     the SavedModel (`keras.export.ExportArchive`)
        tflite/<direction>_<variant>.tflite
                                       float32, float16 and dynamic-range int8 files
        export_metadata.json           input spec, signatures, files, errors vs Keras
        README.txt                     the same, for people

Signatures of the SavedModel (H, W are `image_size` for U-GAT-IT's full mode; any
multiple of 4 otherwise, `None` below):

    serving_default  image_bytes: string [N]  ->  image_bytes: string [N] (PNG)
    a2b_bytes / b2a_bytes  the same per direction (serving_default is one of them)
    a2b / b2a        images: float32 [N, H, W, 3] RGB in [-1, 1]  ->
                     image: float32 [N, H, W, 3] in [-1, 1], and the task's extras
                     (`TranslationTask.translate`): U-GAT-IT heatmap [N, H, W, 1] (CAM,
                     bilinearly upscaled) and cam_logit [N, 2]; AttentionGAN attention
                     [N, H, W, 10] (scheme II; 1 for scheme I); CycleGAN none
    a2b_uint8 / b2a_uint8  the same with images: uint8 [N, H, W, 3] (0..255) in and
                     image: uint8 out

The TFLite files hold the float signature of one direction (key `a2b` or `b2a`).
"""

import json
import os
import re
import shutil
import time

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from ugatit_tf import checkpoints, config_validation
from ugatit_tf.app_errors import UserError
from ugatit_tf.data import exif
from ugatit_tf.directions import DIRECTIONS, check_direction  # noqa: F401 (API)
from ugatit_tf.layers.precision import float32_internals
from ugatit_tf.progress import Progress

TFLITE_VARIANTS = config_validation.TFLITE_VARIANTS
TFLITE_SUBDIR = "tflite"
METADATA_FILE = "export_metadata.json"
README_FILE = "README.txt"

# Light generators: two stride-2 downsamplings and reflection pads of 1 at the bottleneck
# need at least 2x2 there (a 4x4 input fails inside MirrorPad).
MIN_LIGHT_SIZE = 8
# Float inputs may exceed [-1, 1] by rounding in the caller's scaling (float16 pipelines:
# ~1e-3); anything further off is a wrong scaling such as [0, 255].
RANGE_TOLERANCE = 0.01
# What the TFLite files cannot check (LiteRT has no assertion op): for the metadata.
TFLITE_UNCHECKED = (
    "The TFLite files do not check their input: a height or width that is not a "
    "multiple of 4 (or below 8) comes back silently resized to another size, and NaN, "
    "Inf or values outside [-1, 1] give NaN or garbage outputs without an error. Check "
    "the size and values in the app (the SavedModel signatures do).")

# LiteRT operators that mean the file is not self-contained on a phone.
_VARIABLE_OPS = ("VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE")


OUTPUT_DESCRIPTIONS = {
    "image": "RGB in [-1, 1] (uint8 0..255 for the *_uint8 and PNG for the *_bytes "
             "signatures), same size as the input",
    "heatmap": "U-GAT-IT's CAM attention heatmap (channel sum), bilinearly upscaled to "
               "the image size, unnormalised",
    "cam_logit": "[gap, gmp] logits of U-GAT-IT's CAM auxiliary classifier",
    "attention": "AttentionGAN's attention masks, softmax over the last axis (scheme II: "
                 "9 foreground masks, then the background mask; scheme I: one sigmoid "
                 "mask)",
}


class ExportError(UserError):
    """A bad export request (paths, versions, variants); the message says what to do."""


class ExportExistsError(ExportError, FileExistsError):
    """The export's version directory exists already."""


def check_tflite_variants(variants):
    try:
        return config_validation.check_choices("tflite", variants, TFLITE_VARIANTS)
    except UserError as e:
        raise ExportError(str(e)) from None


def fixed_size(model_config):
    """Whether the generators take `image_size` inputs only (U-GAT-IT's full mode,
    whose MLP flattens the feature map); the other generators are convolutional."""
    return model_config.get("light", True) is False


def input_spec(model_config):
    """What every float entry point expects, as stored in the metadata."""
    size = model_config.image_size
    if not fixed_size(model_config):
        shape = [None, None, None, 3]
        size_text = (f"any multiples of 4, dynamic (trained at "
                     f"{size}x{size})")
    else:
        shape = [None, size, size, 3]
        size_text = f"exactly {size}x{size} (full mode: the MLP is tied to the size)"
    return {
        "layout": "NHWC",
        "shape": shape,
        "dtype": "float32",
        "color": "RGB",
        "range": [-1.0, 1.0],
        "scaling": "x = pixel / 127.5 - 1 for 8-bit pixels",
        "size": size_text,
        "image_size": size,
        "fixed_size": fixed_size(model_config),
    }


def to_float_image(pixels):
    """uint8 [0, 255] -> float32 [-1, 1]."""
    return tf.cast(pixels, tf.float32) / 127.5 - 1.0


def to_uint8_image(images):
    """float [-1, 1] -> uint8 [0, 255], rounded and clipped."""
    return tf.cast(tf.clip_by_value(tf.round((images + 1.0) * 127.5), 0.0, 255.0), tf.uint8)


class GeneratorEndpoints:
    """The serving functions of one direction of a task.

    Args:
        translate_fn: `images -> {"image": ..., extras}`, a task's `translate` for one
            direction.
        image_size: the size the generator was trained at (bytes inputs are resized to it).
        light: whether the generator takes any multiple of 4 (not only `image_size`).
    """

    def __init__(self, translate_fn, image_size, light):
        self.translate_fn = translate_fn
        self.image_size = image_size
        self.light = light
        side = None if light else image_size
        self.float_spec = tf.TensorSpec([None, side, side, 3], tf.float32, name="images")
        self.uint8_spec = tf.TensorSpec([None, side, side, 3], tf.uint8, name="images")
        self.bytes_spec = tf.TensorSpec([None], tf.string, name="image_bytes")

    def translate(self, images):
        """float32 [N, H, W, 3] in [-1, 1] -> image and the task's extras, feature maps
        (U-GAT-IT's heatmap) bilinearly upscaled to the image size.

        Raises InvalidArgument (the request fails, the server keeps serving) for an
        input that is not [N >= 1, H, W, 3], a size the generator does not take, or
        values that are not finite or lie outside [-1, 1] (`check_images`).
        """
        outputs = dict(self.translate_fn(self.check_images(images)))
        size = tf.shape(outputs["image"])[1:3]
        for key, value in outputs.items():
            if key != "image" and value.shape.rank == 4:
                outputs[key] = tf.image.resize(value, size, method="bilinear")
        return outputs

    def check_images(self, images):
        """`images`, after run-time checks of its shape and values (see `translate`).

        A loaded signature does not enforce its input's shape, so every check runs on
        the tensor's run-time shape. The rank is counted from that shape's entries:
        TensorFlow folds `tf.rank` / `tf.size` of the shape into the signature's
        static rank 4, which a rank-3 input then passes.
        """
        shape = tf.shape(images)
        rank = tf.reduce_sum(tf.cast(shape >= 0, tf.int32))
        dims = tf.concat([shape, tf.zeros([4], tf.int32)], 0)[:4]  # safe at any rank
        expected = "images must be float32 [N, H, W, 3] (NHWC, RGB, values in [-1, 1])"
        checks = [
            tf.debugging.Assert(tf.logical_and(tf.equal(rank, 4), tf.equal(dims[3], 3)),
                                [f"{expected}; got the shape", shape], summarize=8),
            tf.debugging.Assert(dims[0] > 0,
                                ["the batch is empty: send at least one image"])]
        size = dims[1:3]
        if self.light:
            checks.append(tf.debugging.Assert(
                tf.reduce_all((tf.math.floormod(size, 4) == 0) & (size >= MIN_LIGHT_SIZE)),
                [f"height and width of the images must be multiples of 4 and at least "
                 f"{MIN_LIGHT_SIZE} (trained at {self.image_size}); got", size]))
        else:
            checks.append(tf.debugging.Assert(
                tf.reduce_all(tf.equal(size, self.image_size)),
                [f"the full-mode generator takes {self.image_size}x{self.image_size} "
                 f"images only; got", size]))
        with tf.control_dependencies(checks):  # values only once the shape is right
            finite = tf.reduce_all(tf.math.is_finite(images))
            largest = tf.reduce_max(tf.abs(images))
            checks.append(tf.debugging.Assert(
                finite, [f"the images hold NaN or Inf values; {expected}"]))
        with tf.control_dependencies(checks):
            checks.append(tf.debugging.Assert(
                largest <= 1.0 + RANGE_TOLERANCE,
                ["image values must lie in [-1, 1] (x = pixel / 127.5 - 1); the largest "
                 "magnitude is", largest]))
        with tf.control_dependencies(checks):
            return tf.identity(images)

    def translate_uint8(self, pixels):
        """uint8 RGB pixels -> the same outputs as `translate`, image as uint8."""
        outputs = self.translate(to_float_image(pixels))
        return {**outputs, "image": to_uint8_image(outputs["image"])}

    def translate_bytes(self, image_bytes):
        """Encoded images (JPEG, PNG, GIF, BMP, WebP) -> translated PNGs of the same size.

        Each image is decoded to RGB (grayscale is replicated, alpha is dropped),
        turned upright by its EXIF orientation (JPEG; `data.exif`), resized to
        `image_size` x `image_size`, translated, resized back to its (upright) size and
        encoded as PNG. Undecodable bytes raise InvalidArgument.
        """
        size = self.image_size
        tf.debugging.assert_positive(
            tf.size(image_bytes), message="image_bytes is empty: send at least one image")

        def decode(data):
            pixels = tf.io.decode_image(data, channels=3, expand_animations=False)
            pixels = exif.apply_orientation(pixels, exif.orientation(data))
            pixels.set_shape([None, None, 3])
            resized = tf.image.resize(tf.cast(pixels, tf.float32), [size, size],
                                      antialias=True)
            return tf.clip_by_value(resized / 127.5 - 1.0, -1.0, 1.0), tf.shape(pixels)[:2]

        images, sizes = tf.map_fn(
            decode, image_bytes, fn_output_signature=(
                tf.TensorSpec([size, size, 3], tf.float32), tf.TensorSpec([2], tf.int32)))
        translated = self.translate_fn(images)["image"]

        def encode(args):
            image, original_size = args
            image = tf.image.resize(image, original_size, antialias=True)
            return tf.io.encode_png(to_uint8_image(image))

        pngs = tf.map_fn(encode, (translated, sizes), fn_output_signature=tf.string)
        return {"image_bytes": pngs}


def build_archive(task, model_config, serving_direction="a2b"):
    """An `ExportArchive` with every signature of the module docstring.

    Args:
        task: a `TranslationTask` with trained generators.
        model_config: the `model` part of the training config.
        serving_direction: the direction of `serving_default`.
    """
    check_direction(serving_direction)
    archive = keras.export.ExportArchive()
    endpoints = {}
    for direction in DIRECTIONS:
        archive.track(task.generators[direction])
        endpoints[direction] = GeneratorEndpoints(
            lambda x, d=direction: task.translate(d, x), model_config.image_size,
            not fixed_size(model_config))
    # The first endpoint added is also exported as serving_default.
    serving = endpoints[serving_direction]
    archive.add_endpoint("serving_default", serving.translate_bytes, [serving.bytes_spec])
    for direction, ep in endpoints.items():
        archive.add_endpoint(direction, ep.translate, [ep.float_spec])
        archive.add_endpoint(f"{direction}_uint8", ep.translate_uint8, [ep.uint8_spec])
        archive.add_endpoint(f"{direction}_bytes", ep.translate_bytes, [ep.bytes_spec])
    return archive


def output_shapes(task, model_config):
    """`{output name: (rank, channels)}` of the task's `translate`, found by one call."""
    size = model_config.image_size
    outputs = task.translate("a2b", np.zeros((1, size, size, 3), np.float32))
    return {k: (v.shape.rank, int(v.shape[-1])) for k, v in outputs.items()}


def signature_summary(shapes, model_config, serving_direction="a2b"):
    """{signature: {"inputs": {name: (dtype, shape)}, "outputs": {...}}} as exported;
    `shapes` is `output_shapes(task, model_config)`."""
    spec = input_spec(model_config)
    shape = spec["shape"]
    outputs = {key: ["float32", shape[:3] + [c] if rank == 4 else [None, c]]
               for key, (rank, c) in shapes.items()}
    float_io = {"inputs": {"images": ["float32", shape]}, "outputs": outputs}
    uint8_io = {"inputs": {"images": ["uint8", shape]},
                "outputs": {**outputs, "image": ["uint8", shape]}}
    bytes_io = {"inputs": {"image_bytes": ["string", [None]]},
                "outputs": {"image_bytes": ["string", [None]]}}
    summary = {"serving_default": {**bytes_io, "direction": serving_direction}}
    for d in DIRECTIONS:
        summary[d] = {**float_io, "direction": d}
        summary[f"{d}_uint8"] = {**uint8_io, "direction": d}
        summary[f"{d}_bytes"] = {**bytes_io, "direction": d}
    return summary


# --- TFLite ----------------------------------------------------------------------------

def convert_tflite(saved_model_dir, signature_key, variant):
    """Converts one float signature of the exported SavedModel to a LiteRT flatbuffer.

    Args:
        saved_model_dir: a SavedModel written by `build_archive(...).write_out`
            (converting the archive, not the Keras model, is what gives correct files).
        signature_key: `a2b` or `b2a`.
        variant: `float32`, `float16` (fp16 weights) or `int8` (dynamic-range
            quantised weights; activations stay float).

    Returns:
        The model as bytes, checked to use builtin operators only.
    """
    check_tflite_variants([variant])
    converter = tf.lite.TFLiteConverter.from_saved_model(
        saved_model_dir, signature_keys=[signature_key])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if variant in ("float16", "int8"):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if variant == "float16":
        converter.target_spec.supported_types = [tf.float16]
    model = converter.convert()
    check_builtin_only(model)
    return model


def tflite_operators(model):
    """Names of the operators a LiteRT flatbuffer uses (custom ops by their code)."""
    from ai_edge_litert import schema_py_generated as schema

    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    parsed = schema.ModelT.InitFromPackedBuf(bytearray(model), 0)
    found = set()
    for code in parsed.operatorCodes:
        # Builtin codes above 127 live in `builtinCode`; `deprecatedBuiltinCode` caps at 127.
        builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
        if builtin == schema.BuiltinOperator.CUSTOM:
            custom = code.customCode
            found.add(custom.decode() if isinstance(custom, bytes) else str(custom))
        else:
            found.add(names.get(builtin, f"BUILTIN_{builtin}"))
    return sorted(found)


def check_builtin_only(model):
    """Raises ValueError if the model has Flex, custom or resource-variable operators."""
    ops = tflite_operators(model)
    from ai_edge_litert import schema_py_generated as schema

    builtin_names = {k for k in vars(schema.BuiltinOperator) if not k.startswith("_")}
    bad = [op for op in ops if op not in builtin_names or op in _VARIABLE_OPS]
    if bad:
        raise ValueError(
            f"The TFLite model uses non-builtin or variable operators {bad}; it would need "
            f"the Flex delegate or resource variables on the device.")
    return ops


def run_tflite(model, images, signature_key):
    """Runs a LiteRT model's float signature; returns its outputs as numpy arrays."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=model)
    runner = interpreter.get_signature_runner(signature_key)
    return runner(images=np.asarray(images, np.float32))


# --- The export command ----------------------------------------------------------------

def next_version(model_dir):
    """1 + the largest integer version directory under `model_dir` (1 if none)."""
    if not tf.io.gfile.isdir(model_dir):
        return 1
    versions = [int(d.rstrip("/")) for d in tf.io.gfile.listdir(model_dir)
                if re.fullmatch(r"\d+", d.rstrip("/"))]
    return max(versions, default=0) + 1


def verification_images(model_config, batch=1, seed=0):
    """Random float inputs in [-1, 1] at the model's size, for export-time checks."""
    size = model_config.image_size
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, (batch, size, size, 3)).astype(np.float32)


def _max_abs(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def export_task(task, model_config, output_dir, serving_direction="a2b",
                tflite_variants=TFLITE_VARIANTS, source=None, verify=True, progress=False):
    """Writes the SavedModel, TFLite files and metadata of a task's generators to
    `output_dir`.

    Args:
        task: a `TranslationTask` (with trained weights).
        model_config: the `model` part of the training config.
        output_dir: the version directory to create (must not exist).
        serving_direction: direction of `serving_default`.
        tflite_variants: any of `TFLITE_VARIANTS`; empty for no TFLite files.
        source: extra JSON-able facts for the metadata (work dir, checkpoint, step).
        verify: run the SavedModel and each TFLite file on a random image and record
            the largest difference from the Keras generator.
        progress: show a progress line over the files (`ugatit_tf.progress`) on stdout.

    Returns:
        The metadata dict written to `export_metadata.json`.
    """
    check_direction(serving_direction)
    tflite_variants = check_tflite_variants(tflite_variants)
    if tf.io.gfile.exists(output_dir):
        raise ExportExistsError(f"{output_dir} already exists; not overwriting an export.")

    bar = Progress(1 + verify + len(DIRECTIONS) * len(tflite_variants), unit="part",
                   label="export ") if progress else None
    parts = iter(range(bar.total if bar else 0))

    def advance(doing):  # shows what runs now, after the parts done
        if bar:
            bar.update(next(parts), [(doing, None)])

    advance("writing the SavedModel")
    verbosity = logging.get_verbosity()
    logging.set_verbosity(logging.WARNING)  # TF's per-function SavedModel chatter
    # float32 statistics: the exported graph must hold TFLite builtin ops only.
    with float32_internals("float32"):
        try:
            archive = build_archive(task, model_config, serving_direction)
            archive.write_out(output_dir, verbose=False)
        finally:
            logging.set_verbosity(verbosity)

    images = verification_images(model_config) if verify else None
    expected = {d: [np.asarray(task.translate(d, images)["image"])] for d in DIRECTIONS} \
        if verify else {}
    checks = {}
    if verify:
        advance("checking the SavedModel")
        loaded = tf.saved_model.load(output_dir)
        for d in DIRECTIONS:
            out = loaded.signatures[d](images=tf.constant(images))
            checks[f"saved_model/{d}"] = _max_abs(out["image"], expected[d][0])

    files = {}
    if tflite_variants:
        tf.io.gfile.makedirs(os.path.join(output_dir, TFLITE_SUBDIR))
    for d in DIRECTIONS:
        for variant in tflite_variants:
            name = f"{TFLITE_SUBDIR}/{d}_{variant}.tflite"
            advance(f"converting {d} to TFLite {variant}")
            model = convert_tflite(output_dir, d, variant)
            with tf.io.gfile.GFile(os.path.join(output_dir, name), "wb") as f:
                f.write(model)
            entry = {"direction": d, "variant": variant, "signature": d,
                     "bytes": len(model), "operators": tflite_operators(model)}
            if verify:
                out = run_tflite(model, images, d)
                entry["max_abs_error_vs_keras"] = _max_abs(out["image"], expected[d][0])
            files[name] = entry
    if bar:
        bar.finish(count=bar.total, values=[("done", None)])

    shapes = output_shapes(task, model_config)  # one generator call, for the metadata
    metadata = {
        "format": "ugatit_tf export 1",
        "model": model_config.to_dict() if hasattr(model_config, "to_dict")
        else dict(model_config),
        "input": input_spec(model_config),
        "task": task.name,
        "output": {k: OUTPUT_DESCRIPTIONS.get(k, "see the task's translate()")
                   for k in shapes},
        "serving_direction": serving_direction,
        "signatures": signature_summary(shapes, model_config, serving_direction),
        "tflite": files,
        "tflite_unchecked": TFLITE_UNCHECKED if files else None,
        "verification": {"input": "uniform random in [-1, 1], seed 0",
                         "saved_model_max_abs_error": checks} if verify else None,
        "source": source or {},
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    with tf.io.gfile.GFile(os.path.join(output_dir, METADATA_FILE), "w") as f:
        json.dump(metadata, f, indent=2)
    with tf.io.gfile.GFile(os.path.join(output_dir, README_FILE), "w") as f:
        f.write(readme_text(metadata))
    return metadata


def signature_lines(metadata):
    """One line per SavedModel signature: `  name (direction): inputs -> outputs`."""
    lines = []
    for name, sig in metadata["signatures"].items():
        ins = ", ".join(f"{k}: {t}{s}" for k, (t, s) in sig["inputs"].items())
        outs = ", ".join(f"{k}: {t}{s}" for k, (t, s) in sig["outputs"].items())
        lines.append(f"  {name} ({sig['direction']}): {ins} -> {outs}")
    return lines


def _folder_bytes(path, skip=()):
    return sum(os.path.getsize(os.path.join(root, f))
               for root, dirs, files in os.walk(path)
               for f in files if os.path.relpath(os.path.join(root, f), path) not in skip)


def summary_text(path, metadata):
    """What `export.py` prints: where each file went, the signatures, sizes, errors."""
    source = metadata.get("source", {})
    step = f"step {source['step']} of " if source.get("step") is not None else ""
    others = {METADATA_FILE, README_FILE, *metadata["tflite"]}
    lines = [f"Exported {metadata['task']} ({step}{source.get('workdir', '?')}) to {path}:",
             f"  SavedModel ({_folder_bytes(path, skip=others) / 2**20:.2f} MB), "
             f"signatures:", *["  " + line for line in signature_lines(metadata)]]
    checks = (metadata.get("verification") or {}).get("saved_model_max_abs_error", {})
    if checks:
        lines.append("  max |image - Keras| on a random input: SavedModel " + ", ".join(
            f"{k.split('/')[-1]} {v:.1e}" for k, v in checks.items()))
    for direction in DIRECTIONS:
        entries = [(n, e) for n, e in metadata["tflite"].items() if e["direction"] == direction]
        if entries:
            lines.append(f"  {TFLITE_SUBDIR}/{direction}_*.tflite: " + ", ".join(
                f"{e['variant']} {e['bytes'] / 2**20:.2f} MB"
                + (f" (max error {e['max_abs_error_vs_keras']:.1e})"
                   if "max_abs_error_vs_keras" in e else "") for _, e in entries))
    spec = metadata["input"]
    lines.append(f"  Input: {spec['color']} in [-1, 1], {spec['size']}; {README_FILE} and "
                 f"{METADATA_FILE} say the rest.")
    return "\n".join(lines)


def readme_text(metadata):
    """The human-readable twin of `export_metadata.json`."""
    spec = metadata["input"]
    lines = [
        f"{metadata['task']} generators exported by ugatit_tf (export.py).",
        "",
        "INPUT of the float signatures and of every .tflite file:",
        f"  {spec['dtype']} tensor {spec['shape']} ({spec['layout']}), {spec['color']} "
        f"(not BGR), values in [-1, 1] (not [0, 1], not [0, 255]): {spec['scaling']}.",
        f"  Height and width: {spec['size']}.",
        "OUTPUT: " + "; ".join(f"{k}: {v}" for k, v in metadata["output"].items()) + ".",
        "",
        f"serving_default: encoded image bytes in, PNG bytes out, "
        f"direction {metadata['serving_direction']}.",
        "",
        "SavedModel signatures:",
        *signature_lines(metadata),
    ]
    if metadata["tflite"]:
        lines += ["", "TFLite files (builtin ops only; signature key = direction, input "
                      "'images').", metadata["tflite_unchecked"]]
        for name, entry in metadata["tflite"].items():
            err = entry.get("max_abs_error_vs_keras")
            lines.append(f"  {name}: {entry['bytes'] / 2**20:.2f} MB"
                         + (f", max |image - Keras| {err:.2e} on a random input"
                            if err is not None else ""))
    return "\n".join(lines) + "\n"


def resolve_source(workdir=None, checkpoint=None):
    """The work dir holding config.json, given a work dir and/or a checkpoint prefix."""
    if workdir:
        return workdir
    if not checkpoint:
        raise ExportError("Pass --workdir (a training dir) or --checkpoint (a ckpt-N prefix).")
    # <workdir>/checkpoints/ckpt-N
    parent = os.path.dirname(os.path.dirname(os.path.abspath(checkpoint)))
    if not tf.io.gfile.exists(os.path.join(parent, checkpoints.CONFIG_FILE)):
        raise checkpoints.NoCheckpointError(
            f"Cannot find the config of {checkpoint}: pass --workdir, the training dir "
            f"that holds {checkpoints.CONFIG_FILE}.")
    return parent


def _checkpoint_step(path):
    try:
        return int(tf.train.load_checkpoint(path).get_tensor("step/.ATTRIBUTES/VARIABLE_VALUE"))
    except (tf.errors.OpError, ValueError, KeyError):
        return None


def export(workdir=None, checkpoint=None, export_dir="exports", model_name=None,
           version=None, serving_direction="a2b", tflite_variants=TFLITE_VARIANTS,
           verify=True, progress=False):
    """Exports the generators of a training run into `<export_dir>/<model_name>/<version>`.

    Args:
        workdir: the training work dir (config.json + checkpoints/).
        checkpoint: a checkpoint prefix (`.../ckpt-N`); the latest of `workdir` by default.
        export_dir: the TF Serving model base directory's parent.
        model_name: defaults to the work dir's name.
        version: defaults to the largest existing version + 1.
        serving_direction: `a2b` or `b2a`, the direction of `serving_default`.
        tflite_variants: TFLite files to write per direction.
        verify: compare the exported models with Keras on a random input.
        progress: show a progress line over the parts written (stdout).

    Returns:
        The version directory written.
    """
    check_direction(serving_direction)
    tflite_variants = check_tflite_variants(tflite_variants)
    workdir = resolve_source(workdir, checkpoint)
    checkpoints.read_config(workdir)  # a missing config is the first thing to report
    if checkpoint and not tf.io.gfile.glob(checkpoint + ".index"):
        raise checkpoints.NoCheckpointError(
            f"No checkpoint at {checkpoint} ({checkpoint}.index is missing); pass a "
            f"prefix such as {checkpoints.checkpoint_dir(workdir)}/ckpt-1.")
    logging.info("Restoring %s (config %s)", checkpoint or "the newest checkpoint",
                 os.path.join(workdir, checkpoints.CONFIG_FILE))
    task, config, checkpoint = checkpoints.restore_task(workdir, checkpoint)

    model_name = model_name or os.path.basename(os.path.normpath(os.path.abspath(workdir)))
    model_dir = os.path.join(export_dir, model_name)
    version = version or next_version(model_dir)
    final_dir = os.path.join(model_dir, str(version))
    if tf.io.gfile.exists(final_dir):
        raise ExportExistsError(f"{final_dir} already exists; pick another --version.")
    # TF Serving watches integer directories only: write elsewhere, then rename.
    tmp_dir = os.path.join(model_dir, f".tmp-{version}")
    if tf.io.gfile.exists(tmp_dir):
        shutil.rmtree(tmp_dir)
    tf.io.gfile.makedirs(model_dir)
    source = {"workdir": os.path.abspath(workdir), "checkpoint": os.path.abspath(checkpoint),
              "step": _checkpoint_step(checkpoint)}
    try:
        export_task(task, config.model, tmp_dir, serving_direction, tflite_variants, source,
                    verify, progress)
        tf.io.gfile.rename(tmp_dir, final_dir)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    return final_dir
