"""A CPU-sized AttentionGAN demo on the built-in synthetic data (plain <-> outlined
shapes), either scheme: `:2` (default) or `:1`.

    python train.py --config=configs/attention_gan/demo.py --workdir=work_dirs/ag_demo
    python train.py --config=configs/attention_gan/demo.py:1 --workdir=work_dirs/ag1_demo

Scheme II: ngf = ndf = 8, 3 blocks, 64 px; scheme I: ngf 8, D width 8, 3 blocks, 96 px
(its discriminator needs at least 94). Both train 3000 iterations at batch 1 in minutes
on 2 CPU cores (docs/attention_gan.md has the measured times and the masks they learn).
"""

from configs.attention_gan import scheme1, scheme2


def get_config(scheme="2"):
    if str(scheme) not in ("1", "2"):
        raise ValueError(f"demo.py:<scheme> takes 1 or 2, got {scheme!r}.")
    config = (scheme1 if str(scheme) == "1" else scheme2).get_config()
    config.model.base_filters = 8
    config.model.disc_base_filters = 8
    config.model.num_res_blocks = 3
    config.model.image_size = 96 if str(scheme) == "1" else 64
    config.data.dataset = "synthetic"
    config.data.batch_size = 1
    config.train.epoch_iterations = 100  # scheme I's curriculum ends at iteration 1000
    config.train.iterations = 3000
    config.train.decay_flag = False
    config.train.print_freq = 250
    config.train.log_freq = 25
    config.train.save_freq = 500
    return config
