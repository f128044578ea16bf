"""Model families as tasks of one trainer: `get_task(config)` builds `config.task`'s."""

import importlib

from ugatit_tf.tasks.base import TranslationTask

# task name -> "module:class", imported on use so a family's code loads only when needed
TASKS = {
    "ugatit": "ugatit_tf.tasks.ugatit:UGATITTask",
    "cyclegan": "ugatit_tf.tasks.cyclegan:CycleGANTask",
    "attention_gan": "ugatit_tf.tasks.attention_gan:AttentionGANTask",
}


def task_class(name):
    if name not in TASKS:
        raise ValueError(f"Unknown task {name!r}: config.task must be one of "
                         f"{', '.join(sorted(TASKS))}.")
    module, cls = TASKS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def get_task(config, dtype=None):
    """The task of `config.task` (default "ugatit"), built with its networks."""
    name = config.get("task", "ugatit")
    return task_class(name)(config, dtype=dtype)


__all__ = ["TASKS", "TranslationTask", "get_task", "task_class"]
