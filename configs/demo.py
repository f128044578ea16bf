"""The CPU-sized U-GAT-IT demo of the README's first command: the same as
`configs/ugatit/demo.py` (light, ch 16, 32 px, the built-in synthetic data). This path
predates the other model families and stays for the commands and work dirs that name it.

    python train.py --config=configs/demo.py --workdir=work_dirs/demo
    python evaluate.py --workdir=work_dirs/demo
"""

from configs.ugatit.demo import get_config

__all__ = ["get_config"]
