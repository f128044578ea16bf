"""Evaluation of translations: KID / FID on Inception features, and a domain classifier."""
