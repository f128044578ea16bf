"""AttentionGAN scheme I (IJCNN 2019, `AttentionGAN-v1/train.py`), the paper's settings:
ngf 64, 6 blocks, BatchNorm, D widths 64..512, 256 px, batch 1, Adam 1e-4 (0.5, 0.999)
for 200 epochs with linear decay over the last 100, curriculum weight r = 0.01 for the
first 10 epochs, then 0.5.

    python train.py --config=configs/attention_gan/scheme1.py --workdir=work_dirs/ag1 \
        --config.data.dataset=tfds:horse2zebra

An epoch is `train.epoch_iterations` iterations (the official `len(dataloader)`:
max(|A|, |B|) / batch; horse2zebra: 1334): the curriculum switches at iteration
10 * epoch_iterations and the rate decays from iteration 100 * epoch_iterations (per
iteration here; the official LambdaLR steps once per epoch).
"""

from configs.attention_gan import scheme2

EPOCH_ITERATIONS = 1334  # horse2zebra: max(1067, 1334) images / batch 1


def get_config():
    config = scheme2.get_config()
    model = config.model
    model.scheme = 1
    model.base_filters = 64  # Generator(ngf=64)
    model.num_res_blocks = 6  # Generator(n_blocks=6)
    model.disc_base_filters = 64  # the official widths 64/128/256/512/512
    model.norm = "batch"  # nn.BatchNorm2d
    model.image_size = 256  # --size
    del model["disc_layers"], model["geo"]
    config.data.batch_size = 1  # --batchSize

    config.loss = config.loss.__class__()
    config.loss.cycle = 10.0  # --lambda_cycle
    config.loss.pixel = 1.0  # --lambda_pixel
    config.loss.identity = 0.0  # --lambda_identity
    config.loss.reg = 1e-6  # --lambda_reg (attention-mask total variation)
    config.loss.starting_rate = 0.01  # --starting_rate
    config.loss.default_rate = 0.5  # --default_rate
    config.loss.curriculum_epochs = 10  # --gan_curriculum

    train = config.train
    train.epoch_iterations = EPOCH_ITERATIONS
    train.iterations = 200 * EPOCH_ITERATIONS  # --n_epochs 200, decay from --decay_epoch 100
    train.learning_rate = 1e-4  # --lr
    train.decay_flag = True  # constant for the first half, then linearly to 0
    return config
