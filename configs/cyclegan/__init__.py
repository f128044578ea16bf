"""CycleGAN presets (Zhu et al. 2017; junyanz/pytorch-CycleGAN-and-pix2pix)."""
