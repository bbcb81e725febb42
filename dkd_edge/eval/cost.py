"""FLOPs per frame (torch.utils.flop_counter) and parameter counts of init and step."""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode

from dkd_edge.model.dkd import DKD, InitGraph, StepGraph


def model_cost(model: DKD) -> dict:
    """FLOPs of one init and one step at the config's input size, and parameter counts."""
    cfg = model.config
    frame = torch.zeros(1, 3, cfg.input_size, cfg.input_size)
    with torch.no_grad():
        with FlopCounterMode(display=False) as counter:
            _, kernels = InitGraph(model)(frame)
        flops_init = counter.get_total_flops()
        with FlopCounterMode(display=False) as counter:
            StepGraph(model)(frame, kernels)
        flops_step = counter.get_total_flops()

    def count(*modules) -> int:
        return sum(p.numel() for m in modules for p in m.parameters())

    return {
        "model": cfg.name,
        "params_init": count(model.initializer, model.encoder, model.distillator),
        "params_step": count(model.encoder, model.distillator, model.matcher),
        "params_initializer": count(model.initializer),
        "flops_init": int(flops_init),
        "flops_step": int(flops_step),
        "flops_ratio": flops_step / flops_init,
        "input_size": [cfg.input_size, cfg.input_size],
        "heatmap_size": [cfg.heatmap_size, cfg.heatmap_size],
        "joints": list(cfg.joint_names),
        "kernel_shape": list(cfg.kernel_shape),
    }
