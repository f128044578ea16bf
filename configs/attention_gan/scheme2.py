"""AttentionGAN scheme II (TNNLS 2021), the paper's settings: ngf = ndf = 64, 9 blocks,
256 px, LSGAN + cycle 10 + identity 0.5 x 10, Adam 2e-4 (0.5, 0.999), batch 4, 60
epochs, no decay (../shared/SPEC.md section 7).

    python train.py --config=configs/attention_gan/scheme2.py --workdir=work_dirs/ag2 \
        --config.data.dataset=tfds:horse2zebra

An epoch is `train.epoch_iterations` iterations: set it to max(|A|, |B|) / batch of your
data (horse2zebra: 1334 / 4 = 334); `train.iterations` is then 60 epochs of it. The
sample grids show the input, the background mask a10 (jet), the translation, the nine
foreground masks and the cycle reconstruction.
"""

import ml_collections

EPOCH_ITERATIONS = 334  # horse2zebra: max(1067, 1334) images / batch 4


def get_config():
    config = ml_collections.ConfigDict()
    config.task = "attention_gan"

    config.model = ml_collections.ConfigDict()
    config.model.scheme = 2
    config.model.base_filters = 64  # official: --ngf
    config.model.disc_base_filters = 64  # --ndf
    config.model.num_res_blocks = 9  # define_G(..., 'our') hard-codes 9
    config.model.disc_layers = 3  # --n_layers_D
    config.model.image_size = 256  # --crop_size
    config.model.geo = False  # the AttentionGAN_geo variant (large shape changes)

    config.data = ml_collections.ConfigDict()
    config.data.dataset = "synthetic"  # folder name, "tfds:<config>" or "synthetic"
    config.data.data_root = "dataset"
    config.data.batch_size = 4  # global batch, split over replicas
    config.data.shuffle_buffer = 1000
    config.data.synthetic_size = 1000
    config.data.synthetic_test_size = 100
    config.data.synthetic_seed = 0
    config.data.tfds_data_dir = ""
    config.data.tfds_download = True

    config.loss = ml_collections.ConfigDict()
    config.loss.cycle = 10.0  # --lambda_A, --lambda_B
    config.loss.identity = 0.5  # --lambda_identity (times the cycle weight)

    config.train = ml_collections.ConfigDict()
    config.train.epoch_iterations = EPOCH_ITERATIONS
    config.train.iterations = 60 * EPOCH_ITERATIONS
    config.train.learning_rate = 2e-4  # --lr
    config.train.beta_1 = 0.5  # --beta1
    config.train.beta_2 = 0.999
    config.train.decay_flag = False  # constant rate (SPEC section 7)
    config.train.pool_size = 50  # --pool_size
    config.train.print_freq = 1000
    config.train.log_freq = 100
    config.train.save_freq = 5000
    config.train.keep_checkpoints = 3
    config.train.seed = 0
    return config
