"""Losses: shared functions (`functions`) and each model family's objectives.

`from ugatit_tf import losses` still gives U-GAT-IT's objectives and term names, as
before the package was split by family.
"""

from ugatit_tf.losses.functions import bce_with_logits, l1, mse
from ugatit_tf.losses.ugatit import (
    DISCRIMINATOR_TERMS,
    GENERATOR_TERMS,
    LossWeights,
    discriminator_objective,
    discriminator_objective_on_fakes,
    discriminator_terms,
    generator_objective,
    generator_objective_on_translations,
    generator_terms,
    generator_translations,
)

__all__ = [
    "DISCRIMINATOR_TERMS", "GENERATOR_TERMS", "LossWeights", "bce_with_logits",
    "discriminator_objective", "discriminator_objective_on_fakes", "discriminator_terms",
    "generator_objective", "generator_objective_on_translations", "generator_terms",
    "generator_translations", "l1", "mse",
]
