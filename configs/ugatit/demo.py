"""A CPU-sized demo: light U-GAT-IT, 64 px, ch 16, on the built-in synthetic data.

    python train.py --config=configs/ugatit/demo.py --workdir=work_dirs/demo

On 2 CPU cores the sample grids in work_dirs/demo/samples show the translation
(see README, "What you should see").
"""

from configs.ugatit import default


def get_config():
    config = default.get_config()
    config.model.base_filters = 16
    config.model.num_res_blocks = 2
    config.model.image_size = 64
    config.model.light = True
    config.model.disc_global_layers = 6
    config.model.disc_local_layers = 4
    config.data.dataset = "synthetic"
    config.train.iterations = 3000
    config.train.print_freq = 250
    config.train.log_freq = 25
    config.train.save_freq = 250
    return config
