"""Access to the official PyTorch numbers in ../shared/golden (see its README)."""

import os
from pathlib import Path

import numpy as np

from ugatit_tf.convert import pytorch
from ugatit_tf.models import build_networks

GOLDEN_DIR = Path(os.environ.get(
    "UGATIT_GOLDEN_DIR", Path(__file__).resolve().parents[1].parent / "shared" / "golden"))


def golden_files(family="ugatit"):
    """The `.npz` files of `<golden dir>/<family>/` (empty if there are none)."""
    folder = GOLDEN_DIR / family
    return sorted(folder.glob("*.npz")) if folder.is_dir() else []


def nchw_to_nhwc(x):
    return np.transpose(x, (0, 2, 3, 1))


class Golden:
    """One golden file: its config, inputs, and the networks loaded with its weights."""

    def __init__(self, path):
        self.path = path
        self.data = np.load(path)
        seed, ch, img, light, n_res = (int(v) for v in self.data["config"])
        self.config = dict(seed=seed, ch=ch, img=img, light=bool(light), n_res=n_res)
        self.real_a = nchw_to_nhwc(self.data["real_A"])
        self.real_b = nchw_to_nhwc(self.data["real_B"])

    def state_dict(self, net, prefix="weights"):
        head = f"{prefix}/{net}/"
        return {k[len(head):]: self.data[k] for k in self.data.files if k.startswith(head)}

    def build_networks(self, dtype=None):
        c = self.config
        nets = build_networks(c["ch"], c["n_res"], c["img"], c["light"], dtype=dtype)
        pytorch.load_networks(nets, {name: self.state_dict(name) for name, _ in nets.items()})
        return nets

    def loss_terms(self, which):
        head = f"{which}/"
        return {k[len(head):]: float(self.data[k]) for k in self.data.files
                if k.startswith(head) and k != f"{which}/total"}
