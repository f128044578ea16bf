"""Custom Keras layers of U-GAT-IT."""

from ugatit_tf.layers.activations import LeakyReLU
from ugatit_tf.layers.batch_norm import BatchNorm
from ugatit_tf.layers.cam_attention import CAMAttention
from ugatit_tf.layers.constraints import ClipValue
from ugatit_tf.layers.cyclegan_blocks import CycleGANResnetBlock, TorchConvTranspose2D
from ugatit_tf.layers.normalization import LIN, AdaIN, AdaLIN, GroupNorm, InstanceNorm
from ugatit_tf.layers.padding import ReflectionPad2D
from ugatit_tf.layers.pixel_shuffle import PixelShuffle
from ugatit_tf.layers.resnet_blocks import ResnetAdaLINBlock, ResnetBlock, ResnetDecoderBlock
from ugatit_tf.layers.spectral_norm import SpectralNormConv2D, SpectralNormDense, UnitNormal
from ugatit_tf.layers.upsampling import UpsampleConv2D
from ugatit_tf.layers.windows_matmul import WindowsConv2D

__all__ = [
    "AdaIN", "AdaLIN", "BatchNorm", "CAMAttention", "ClipValue", "CycleGANResnetBlock",
    "GroupNorm", "InstanceNorm", "LIN", "LeakyReLU", "PixelShuffle", "ReflectionPad2D",
    "ResnetAdaLINBlock", "ResnetBlock", "ResnetDecoderBlock", "SpectralNormConv2D",
    "SpectralNormDense", "TorchConvTranspose2D", "UnitNormal", "UpsampleConv2D",
    "WindowsConv2D",
]
