"""Fold BatchNorm into the preceding convolution (before export and quantization)."""

from __future__ import annotations

import copy

from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from dkd_edge.model.blocks import ConvBNAct
from dkd_edge.model.efficientnet_lite import EfficientNetLite, MBConv

# EfficientNet-Lite keeps the pretrained weights' names: (conv, its BatchNorm) attributes.
_NAMED_PAIRS = {
    MBConv: (("_expand_conv", "_bn0"), ("_depthwise_conv", "_bn1"), ("_project_conv", "_bn2")),
    EfficientNetLite: (("_conv_stem", "_bn0"), ("_conv_head", "_bn1")),
}


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in eval mode with every BatchNorm folded into its conv (an
    unfolded BN would stay a training-mode op in the QAT graphs, which Core ML refuses)."""
    folded = copy.deepcopy(model).eval()
    for module in folded.modules():
        if isinstance(module, ConvBNAct) and isinstance(module[1], nn.BatchNorm2d):
            module[0] = fuse_conv_bn_eval(module[0], module[1])
            module[1] = nn.Identity()
        for conv_name, bn_name in _NAMED_PAIRS.get(type(module), ()):
            bn = getattr(module, bn_name, None)
            if isinstance(bn, nn.BatchNorm2d):
                setattr(module, conv_name, fuse_conv_bn_eval(getattr(module, conv_name), bn))
                setattr(module, bn_name, nn.Identity())
    return folded
