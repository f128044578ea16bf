"""A CPU-sized CycleGAN demo: 64 px, ngf = ndf = 16, 3 residual blocks, on the built-in
synthetic data.

    python train.py --config=configs/cyclegan/demo.py --workdir=work_dirs/cyclegan_demo

Trains in minutes on 2 CPU cores; the sample grids in work_dirs/cyclegan_demo/samples
show each domain's real image, translation, cycle and identity.
"""

from configs.cyclegan import default


def get_config():
    config = default.get_config()
    config.model.base_filters = 16
    config.model.disc_base_filters = 16
    config.model.num_res_blocks = 3
    config.model.image_size = 64
    config.loss.pool_size = 50
    config.train.constant_iterations = 1500
    config.train.decay_iterations = 1500
    config.train.iterations = 3000
    config.train.print_freq = 250
    config.train.log_freq = 25
    config.train.save_freq = 250
    return config
