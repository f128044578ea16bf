"""Ablation of Kim et al. 2020 (Table 1): light U-GAT-IT with AdaIN in the decoder.

    python train.py --config=configs/ugatit/ablation_adain.py --dataset selfie2anime

AdaIN (instance norm scaled and shifted by the MLP's gamma and beta) replaces
AdaLIN in the residual blocks; instance norm with LIN's learned per-channel
gamma and beta replaces LIN in the up-sampling blocks.
Everything else is `configs/ugatit/light.py`.
"""

from configs.ugatit import light


def get_config():
    config = light.get_config()
    config.model.decoder_norm = "adain"
    return config
