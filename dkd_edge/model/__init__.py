"""The DKD model family (torch)."""

from dkd_edge.model.config import DEFAULT_CONFIG, REGISTRY, DKDConfig, get_config
from dkd_edge.model.discriminator import TemporalDiscriminator
from dkd_edge.model.dkd import DKD, InitGraph, StepGraph
from dkd_edge.model.kernels import KernelDistillator, KernelMatcher, match_kernels
from dkd_edge.model.networks import FrameEncoder, PoseInitializer

__all__ = [
    "DEFAULT_CONFIG", "DKD", "REGISTRY", "DKDConfig", "FrameEncoder", "InitGraph",
    "KernelDistillator", "KernelMatcher", "PoseInitializer", "StepGraph",
    "TemporalDiscriminator", "get_config", "match_kernels",
]
