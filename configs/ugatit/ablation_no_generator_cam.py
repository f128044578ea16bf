"""Ablation of Kim et al. 2020 (Table 1): light U-GAT-IT with generators without CAM.

    python train.py --config=configs/ugatit/ablation_no_generator_cam.py --dataset selfie2anime

The generators have no CAM attention (no auxiliary classifier, no
heatmap, no G_cam_loss terms); the encoder features go straight to
the decoder.
Everything else is `configs/ugatit/light.py`.
"""

from configs.ugatit import light


def get_config():
    config = light.get_config()
    config.model.generator_cam = False
    return config
