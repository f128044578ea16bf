"""Ablation of Kim et al. 2020 (Table 1): light U-GAT-IT with discriminators without CAM.

    python train.py --config=configs/ugatit/ablation_no_discriminator_cam.py --dataset selfie2anime

The discriminators have no CAM attention (no auxiliary
classifier, no D_ad_cam_loss / G_ad_cam_loss terms).
Everything else is `configs/ugatit/light.py`.
"""

from configs.ugatit import light


def get_config():
    config = light.get_config()
    config.model.discriminator_cam = False
    return config
