"""Post-training int8 (pt2e PTQ with the SDK's quantizer) calibrated on a recurrent set."""

from __future__ import annotations

import copy
from pathlib import Path

import torch

from dkd_edge.calibration.dataset import load_calibration_set
from dkd_edge.model.dkd import DKD
from dkd_edge.quant.graphs import prepare_graphs

_CACHE: dict[tuple, tuple] = {}


@torch.no_grad()
def calibrated_graphs(model: DKD, calib: str | Path):
    """Init and step graphs with observers that have seen the calibration set.

    ``init`` sees each clip's first frame; ``step`` sees every later frame together with the
    state the float model fed it there.
    """
    key = (id(model), str(Path(calib).resolve()))
    if key in _CACHE:
        return _CACHE[key]
    data = load_calibration_set(calib)
    config = model.config
    data.check_fits(config)
    init, step = prepare_graphs(model.eval(), qat=False)
    frames = torch.from_numpy(data.normalised_frames(config.mean, config.std))
    kernels = torch.from_numpy(data.kernels)
    for n in range(data.clips):
        init(frames[n, :1])
        for t in range(1, data.frames_per_clip):
            step(frames[n, t:t + 1], kernels[n, t:t + 1])
    _CACHE.clear()
    _CACHE[key] = (init, step)
    return init, step


def quantized_ptq_graphs(model: DKD, calib: str | Path, fold: bool = False,
                         weight_bits: int = 8):
    """The calibrated graphs after ``convert_pt2e`` (``fold=True``: int8 weight constants;
    ``weight_bits=7``: weights within -63..63, quant/weight_range.py)."""
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e

    from dkd_edge.quant.weight_range import narrow_weight_range

    converted = []
    for graph in calibrated_graphs(model, calib):
        graph = copy.deepcopy(graph)
        narrow_weight_range(graph, weight_bits)
        converted.append(convert_pt2e(graph, fold_quantize=fold))
    return tuple(converted)
