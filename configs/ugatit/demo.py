"""A CPU-sized demo: light U-GAT-IT, 32 px, ch 16, on the built-in synthetic data.

    python train.py --config=configs/ugatit/demo.py --workdir=work_dirs/demo
    python evaluate.py --workdir=work_dirs/demo

The built-in data: flat palette-coloured shapes on a light background, with (B) or
without (A) a dark outline (`ugatit_tf/data/synthetic.py`). Sized for 10 minutes on
2 CPU cores at load ~1; the measured result, time and load are in the README ("What you
should see").
"""

from configs.ugatit import default


def get_config():
    config = default.get_config()
    config.model.base_filters = 16
    config.model.num_res_blocks = 2
    # 32 px: a CPU step costs ~1/10 s here, so ~5,000 iterations fit in the 10 minutes.
    config.model.image_size = 32
    config.model.light = True
    # The official depths (7 / 5 at 256 px) shrunk with the image: global 5 layers
    # (receptive field 70 px: the whole image), local 3 (16 px).
    config.model.disc_global_layers = 5
    config.model.disc_local_layers = 3
    config.data.dataset = "synthetic"
    config.train.iterations = 5000
    # CycleGAN's Adam rate: the paper's 1e-4 is for 1M iterations.
    config.train.learning_rate = 2e-4
    config.train.print_freq = 500
    config.train.log_freq = 25
    config.train.save_freq = 500
    return config
