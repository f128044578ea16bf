"""The paper's settings: full U-GAT-IT, 256 px, ch 64, 1M iterations, batch 1.

    python train.py --config=configs/ugatit/default.py --dataset cat2dog

Needs a GPU with more than 16 GB (the full generator has 279M parameters); see
`configs/ugatit/light.py` for the light variant and `configs/ugatit/ablation_*.py` for the
paper's ablations. Results as in Kim et al. 2020, Table 1.
"""

import ml_collections


def get_config():
    config = ml_collections.ConfigDict()
    config.task = "ugatit"

    config.model = ml_collections.ConfigDict()
    config.model.base_filters = 64  # official: --ch
    config.model.num_res_blocks = 4  # --n_res
    config.model.image_size = 256  # --img_size
    config.model.light = False  # --light
    config.model.disc_global_layers = 7
    config.model.disc_local_layers = 5
    # The paper's ablations (Table 1); these values are the official model.
    config.model.decoder_norm = "adalin"  # | "instance" | "layer" | "adain" | "group"
    config.model.generator_cam = True
    config.model.discriminator_cam = True

    config.data = ml_collections.ConfigDict()
    config.data.dataset = "synthetic"  # folder name, "tfds:<config>" or "synthetic"
    config.data.data_root = "dataset"
    config.data.batch_size = 1  # global batch, split over replicas
    config.data.shuffle_buffer = 1000
    config.data.synthetic_size = 1000  # training images per domain of the built-in data
    config.data.synthetic_test_size = 100
    config.data.synthetic_seed = 0
    config.data.tfds_data_dir = ""  # "" = $TFDS_DATA_DIR or ~/tensorflow_datasets
    config.data.tfds_download = True  # False: fail at once offline instead of waiting

    config.loss = ml_collections.ConfigDict()
    config.loss.adversarial = 1.0  # --adv_weight
    config.loss.cycle = 10.0  # --cycle_weight
    config.loss.identity = 10.0  # --identity_weight
    config.loss.cam = 1000.0  # --cam_weight

    config.train = ml_collections.ConfigDict()
    config.train.iterations = 1_000_000  # --iteration
    config.train.learning_rate = 1e-4  # --lr
    config.train.beta_1 = 0.5
    config.train.beta_2 = 0.999
    config.train.weight_decay = 1e-4  # --weight_decay, coupled as in PT's Adam
    config.train.decay_flag = True  # --decay_flag: linear decay over the second half
    config.train.print_freq = 1000  # --print_freq: sample grids
    config.train.log_freq = 100  # TensorBoard scalars
    config.train.save_freq = 100_000  # --save_freq: checkpoints
    config.train.keep_checkpoints = 3
    config.train.seed = 0
    return config
