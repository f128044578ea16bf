"""TrainingLogger's progress line around the sample grids (the loop itself: test_trainer)."""

import io
import types

import numpy as np

from ugatit_tf.trainer import TrainingLogger


def fake_trainer(workdir, shown, loggers):
    def sample_rows(direction, images):
        shown.append(loggers[0].progress.line())  # the line while the grids are drawn
        return [images, images]

    config = types.SimpleNamespace(train=types.SimpleNamespace(
        print_freq=4, log_freq=100, iterations=8))
    return types.SimpleNamespace(
        config=config, workdir=str(workdir), steps_per_loop=2,
        task=types.SimpleNamespace(sample_rows=sample_rows),
        learning_rate=lambda: 1e-4, statistics=lambda: {})


def test_sample_writing_is_named_on_the_terminal_line(tmp_path):
    shown, loggers = [], []
    logger = TrainingLogger(fake_trainer(tmp_path, shown, loggers), np.zeros((2, 8, 8, 3)),
                            np.zeros((2, 8, 8, 3)), total_steps=8)
    loggers.append(logger)
    stream = io.StringIO()
    logger.progress.stream, logger.progress.terminal = stream, True
    losses = {"D_loss": 1.0, "G_loss": 2.0}
    logger(2, losses)
    assert shown == [] and "writing" not in stream.getvalue()
    logger(4, losses)  # print_freq: the grids are written
    assert len(shown) == 2 and all("writing the sample grids" in s for s in shown)
    assert (tmp_path / "samples" / "A2B_0000004.png").is_file()
    # Redrawn without the note once the grids are written.
    assert stream.getvalue().rsplit("\r", 1)[-1].startswith("step 4/8 (50%) | D 1 G 2 | ")
    assert "writing" not in stream.getvalue().rsplit("\r", 1)[-1]
