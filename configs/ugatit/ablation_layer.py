"""Ablation of Kim et al. 2020 (Table 1): light U-GAT-IT with layer norm in the decoder.

    python train.py --config=configs/ugatit/ablation_layer.py --dataset selfie2anime

Layer norm replaces AdaLIN in the residual blocks (plain: the generator has
no MLP) and LIN in the up-sampling blocks (with LIN's learned per-channel
gamma and beta).
Everything else is `configs/ugatit/light.py`.
"""

from configs.ugatit import light


def get_config():
    config = light.get_config()
    config.model.decoder_norm = "layer"
    return config
