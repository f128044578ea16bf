"""Helpers shared by the benchmark scripts: timing, machine facts, the JSON record."""

import json
import os
import platform
import statistics
import time


def median_ms(fn, runs):
    fn()  # warm-up (tracing, allocation)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def tflite_invoker(path, image, threads):
    """Set input, invoke, read the output image: one batch-1 call of the interpreter."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=path, num_threads=threads)
    inp = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(inp["index"], image.shape)
    interpreter.allocate_tensors()
    outputs = interpreter.get_output_details()

    def run():
        interpreter.set_tensor(inp["index"], image)
        interpreter.invoke()
        return [interpreter.get_tensor(o["index"]) for o in outputs]

    return run


def machine(**extra):
    """The facts a recorded number depends on."""
    import tensorflow as tf

    return {"cpus": os.cpu_count(), "platform": platform.platform(),
            "tensorflow": tf.__version__, **extra}


def write_json(path, record):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(record, f, indent=2)
    print(f"Wrote {path}")
