"""The paper's light variant (official `--light True`): pooled MLP, 10.6M-parameter G.

    python train.py --config=configs/ugatit/light.py --dataset cat2dog

Fits a 12 GB GPU at 256 px.
"""

from configs.ugatit import default


def get_config():
    config = default.get_config()
    config.model.light = True
    return config
