"""Mobile building blocks: conv-BN-ReLU and MobileNetV2 inverted residuals."""

from __future__ import annotations

import torch
from torch import nn


class ConvBNAct(nn.Sequential):
    """Conv2d + BatchNorm + ReLU (``act=False`` leaves out the ReLU)."""

    def __init__(self, cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1,
                 act: bool = True):
        layers: list[nn.Module] = [
            nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
        ]
        if act:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand, 3x3 depthwise, 1x1 project, residual when shapes match.

    ``zero_init`` zeroes the last BatchNorm's scale, so a residual block starts as the
    identity (a trained network grown by such blocks computes what it did before).
    """

    def __init__(self, cin: int, cout: int, stride: int = 1, expand: int = 4,
                 zero_init: bool = False):
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers.append(ConvBNAct(cin, hidden, 1))
        layers += [
            ConvBNAct(hidden, hidden, 3, stride, groups=hidden),
            ConvBNAct(hidden, cout, 1, act=False),
        ]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout
        if zero_init and self.residual:  # starts as the identity: growing a trained net
            nn.init.zeros_(layers[-1][1].weight)

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


def stage(cin: int, cout: int, blocks: int, stride: int, expand: int) -> nn.Sequential:
    layers = [InvertedResidual(cin, cout, stride, expand)]
    layers += [InvertedResidual(cout, cout, 1, expand) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


class GlobalContext(nn.Module):
    """Adds a summary of the whole map at every position: ``x + expand(relu(reduce(mean(x))))``.

    One mean over H x W and two 1x1 convs on a 1 x 1 map, so it costs almost nothing; the
    expand conv starts at zero, so a trained network grown by it computes what it did.
    """

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.reduce = nn.Conv2d(channels, hidden, 1)
        self.expand = nn.Conv2d(hidden, channels, 1)
        nn.init.zeros_(self.expand.weight)
        nn.init.zeros_(self.expand.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        summary = x.mean(dim=(2, 3), keepdim=True)
        return x + self.expand(torch.relu(self.reduce(summary)))
