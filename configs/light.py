"""U-GAT-IT's light variant (official `--light True`): the same as
`configs/ugatit/light.py`. This path predates the other model families and stays for
the commands and work dirs that name it.

    python train.py --config=configs/light.py --dataset cat2dog
"""

from configs.ugatit.light import get_config

__all__ = ["get_config"]
