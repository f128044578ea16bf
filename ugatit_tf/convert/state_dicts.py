"""What every PyTorch importer shares: a family's key map in, checked assignments out.

A family module (`convert.pytorch` for U-GAT-IT, `convert.cyclegan`,
`convert.attention_gan`) describes one network as a name map,
`{PT state_dict key: (Keras variable, transform from PT layout)}`, and says which model
settings a mismatch points to. A `StateDictConverter` built from those two functions
exports a network to PT arrays, fills one from a `state_dict`, and fills a dict of
networks from `{official name: state_dict}`. Every error names the network, the keys and
the settings to check; nothing is assigned unless every network's every key converts.
"""

import numpy as np

_KEYS_SHOWN = 5  # keys listed in an error message; the rest are counted


def to_numpy(value):
    """An array or a torch tensor (without importing torch) as a numpy array."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def read_torch_file(path):
    """A `.pt` / `.pth` file's content on the CPU (tensors only, no pickled code)."""
    try:
        import torch
    except ImportError as e:
        raise ImportError(
            f"Reading {path} needs PyTorch (`pip install torch`); or pass the state_dicts "
            "as numpy arrays to `load_networks`.") from e
    return torch.load(path, map_location="cpu", weights_only=True)


def _listed(keys, limit=_KEYS_SHOWN):
    shown = ", ".join(repr(k) for k in keys[:limit])
    rest = len(keys) - limit
    return shown + (f" and {rest} more" if rest > 0 else "")


def _counted(keys, one, many):
    return f"{len(keys)} {one if len(keys) == 1 else many}: {_listed(keys)}"


class StateDictConverter:
    """Converts one model family's networks to and from the official PT `state_dict`s.

    Args:
        family: the family's name in messages ("U-GAT-IT", "CycleGAN", ...).
        name_map: `net -> {PT key: (variable, transform)}`; each transform has an
            `.inverse` back to PT's layout (see `convert.pytorch.conv_kernel`).
        config_hint: `net -> str`, the official model settings that change the network's
            keys or shapes, e.g. "--light (this generator is light), --ch, --n_res".
        ignored_suffixes: PT keys that end so and are not in the name map are dropped
            (buffers that the official code stores but never reads).
    """

    def __init__(self, family, name_map, config_hint, ignored_suffixes=()):
        self.family = family
        self.name_map = name_map
        self.config_hint = config_hint
        self.ignored_suffixes = tuple(ignored_suffixes)

    def export_state_dict(self, net):
        """A built network's weights as a PT `state_dict` of numpy arrays (PT names and
        layouts)."""
        return {key: transform.inverse(np.asarray(variable.numpy()))
                for key, (variable, transform) in self.name_map(net).items()}

    def load_state_dict(self, net, state_dict, net_name="network"):
        """Assigns a PT `state_dict` (key -> array or torch tensor) to a built network.

        Raises:
            ValueError: on missing or unexpected keys, or a shape that does not convert;
                the message names `net_name`, the keys and the settings to check.
        """
        _assign(self._converted(net, state_dict, net_name))

    def load_networks(self, networks, state_dicts):
        """Fills `{official name: network}` from `{official name: state_dict}` (a
        checkpoint); every network is checked before any is assigned."""
        networks = dict(networks.items())  # also a `UGATITNetworks`
        absent = [name for name in networks if name not in state_dicts]
        if absent:
            which = "this network" if len(absent) == 1 else "these networks"
            raise ValueError(
                f"{', '.join(absent)}: the checkpoint has no state_dict for {which} (it has "
                f"{_listed(sorted(state_dicts))}; the {self.family} networks here are "
                f"{_listed(list(networks), len(networks))}); was it written for another "
                f"model family, or its networks named otherwise than the official code's?")
        _assign([pair for name, net in networks.items()
                 for pair in self._converted(net, state_dicts[name], name)])

    def _converted(self, net, state_dict, net_name):
        """`[(variable, value)]` for every entry of the name map, all checked."""
        entries = self.name_map(net)
        fix = (f"was the checkpoint written by a different {self.family} config "
               f"({self.config_hint(net)})?")
        keys = [k for k in state_dict
                if k in entries or not k.endswith(self.ignored_suffixes)]
        unexpected = sorted(set(keys) - set(entries))
        missing = sorted(set(entries) - set(keys))
        if missing or unexpected:
            problems = []
            if missing:
                problems.append(_counted(missing, "PyTorch key is missing",
                                         "PyTorch keys are missing"))
            if unexpected:
                problems.append(_counted(unexpected, "PyTorch key has no variable here",
                                         "PyTorch keys have no variable here"))
            raise ValueError(f"{net_name}: {'; '.join(problems)}; {fix}")
        pairs = []
        for key, (variable, transform) in entries.items():
            raw = to_numpy(state_dict[key])
            try:
                value = transform(raw)
            except ValueError:  # a transpose or reshape that the shape does not allow
                value = None
            if value is None or tuple(value.shape) != tuple(variable.shape):
                raise ValueError(
                    f"{net_name}: PyTorch key '{key}' has shape {tuple(raw.shape)}, which "
                    f"does not convert to the shape {tuple(variable.shape)} of the variable "
                    f"'{variable.path}'; {fix}")
            pairs.append((variable, value))
        return pairs


def _assign(pairs):
    for variable, value in pairs:
        variable.assign(value.astype(variable.dtype))
