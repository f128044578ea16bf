"""Loss functions shared by the model families (means over the local batch)."""

from keras import ops


def mse(x, target):
    """Mean squared error against a constant target (LSGAN)."""
    return ops.mean(ops.square(x - target))


def l1(x, y):
    return ops.mean(ops.abs(x - y))


def bce_with_logits(logits, target):
    """Binary cross-entropy with logits against a constant 0 or 1 target (numerically
    stable form of `nn.BCEWithLogitsLoss`)."""
    return ops.mean(ops.maximum(logits, 0.0) - logits * target
                    + ops.log1p(ops.exp(-ops.abs(logits))))
