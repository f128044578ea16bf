"""The paper's CycleGAN settings: 256 px, ngf = ndf = 64, 9 residual blocks, batch 1,
lr 2e-4 for 100 epochs then linearly to 0 over 100 more (horse2zebra: 1334 images).

    python train.py --config=configs/cyclegan/default.py --config.data.dataset=horse2zebra

G has 11,378,179 and D 2,764,737 parameters. An epoch of the official code is
max(|A|, |B|) iterations at batch 1: set `train.constant_iterations` and
`train.decay_iterations` to 100 x that for another dataset
(`ugatit_tf.schedules.ConstantThenLinearDecay` explains the mapping). Results as in
Zhu et al. 2017 (and U-GAT-IT's Table 3 for its datasets).
"""

import ml_collections

EPOCH = 1334  # iterations per official epoch on horse2zebra (max(1067, 1334), batch 1)


def get_config():
    config = ml_collections.ConfigDict()
    config.task = "cyclegan"

    config.model = ml_collections.ConfigDict()
    config.model.base_filters = 64  # official: --ngf
    config.model.disc_base_filters = 64  # --ndf
    config.model.num_res_blocks = 9  # --netG resnet_9blocks
    config.model.disc_layers = 3  # --netD basic / --n_layers_D: the 70x70 PatchGAN
    config.model.image_size = 256  # --crop_size (images resized to 286 first: --load_size)

    config.data = ml_collections.ConfigDict()
    config.data.dataset = "synthetic"  # folder name, "tfds:<config>" or "synthetic"
    config.data.data_root = "dataset"
    config.data.batch_size = 1  # global batch, split over replicas (--batch_size)
    config.data.shuffle_buffer = 1000
    config.data.synthetic_size = 1000  # training images per domain of the built-in data
    config.data.synthetic_test_size = 100
    config.data.synthetic_seed = 0
    config.data.tfds_data_dir = ""  # "" = $TFDS_DATA_DIR or ~/tensorflow_datasets
    config.data.tfds_download = True  # False: fail at once offline instead of waiting

    config.loss = ml_collections.ConfigDict()
    config.loss.cycle_a = 10.0  # --lambda_A: A -> B -> A
    config.loss.cycle_b = 10.0  # --lambda_B: B -> A -> B
    config.loss.identity = 0.5  # --lambda_identity, a fraction of lambda_A / lambda_B
    config.loss.pool_size = 50  # --pool_size: past fakes shown to D

    config.train = ml_collections.ConfigDict()
    config.train.constant_iterations = 100 * EPOCH  # --n_epochs 100
    config.train.decay_iterations = 100 * EPOCH  # --n_epochs_decay 100
    config.train.iterations = config.train.constant_iterations + config.train.decay_iterations
    config.train.learning_rate = 2e-4  # --lr
    config.train.beta_1 = 0.5  # --beta1
    config.train.beta_2 = 0.999
    config.train.print_freq = 1000  # sample grids
    config.train.log_freq = 100  # TensorBoard scalars
    config.train.save_freq = 10 * EPOCH  # checkpoints
    config.train.keep_checkpoints = 3
    config.train.seed = 0
    return config
