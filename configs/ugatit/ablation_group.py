"""Ablation of Kim et al. 2020 (Table 1): light U-GAT-IT with group norm in the decoder.

    python train.py --config=configs/ugatit/ablation_group.py --dataset selfie2anime

Group norm (Wu & He's 32 groups, fewer where 32 does not divide the
channels) replaces AdaLIN in the residual blocks (plain: the generator has
no MLP) and LIN in the up-sampling blocks (with LIN's learned per-channel
gamma and beta).
Everything else is `configs/ugatit/light.py`.
"""

from configs.ugatit import light


def get_config():
    config = light.get_config()
    config.model.decoder_norm = "group"
    return config
