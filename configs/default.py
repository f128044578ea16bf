"""U-GAT-IT's paper settings (full, 256 px, ch 64, 1M iterations, batch 1): the same as
`configs/ugatit/default.py`, train.py's default config. This path predates the other
model families and stays for the commands and work dirs that name it.

    python train.py --config=configs/default.py --dataset cat2dog
"""

from configs.ugatit.default import get_config

__all__ = ["get_config"]
