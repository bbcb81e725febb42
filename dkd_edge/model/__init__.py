"""The DKD model family (torch). The configs import without torch; the modules load it."""

from dkd_edge.model.config import DEFAULT_CONFIG, REGISTRY, DKDConfig, get_config

_TORCH_NAMES = {
    "TemporalDiscriminator": "dkd_edge.model.discriminator",
    "DKD": "dkd_edge.model.dkd", "InitGraph": "dkd_edge.model.dkd",
    "StepGraph": "dkd_edge.model.dkd",
    "KernelDistillator": "dkd_edge.model.kernels", "KernelMatcher": "dkd_edge.model.kernels",
    "match_kernels": "dkd_edge.model.kernels",
    "FrameEncoder": "dkd_edge.model.networks", "PoseInitializer": "dkd_edge.model.networks",
}

__all__ = ["DEFAULT_CONFIG", "REGISTRY", "DKDConfig", "get_config", *_TORCH_NAMES]


def __getattr__(name: str):
    if name in _TORCH_NAMES:
        import importlib

        return getattr(importlib.import_module(_TORCH_NAMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
