"""The QAT graphs of a checkpoint: re-exported, re-prepared with the SDK's quantizer and
loaded with the state that ``dkd-edge train --stage qat`` (``dkd_edge.train.stages.QatStage``)
saved; converted to int8 for the torch int8 reference; rounding noise for training."""

from __future__ import annotations

import torch

from dkd_edge.errors import DkdError
from dkd_edge.model.dkd import DKD
from dkd_edge.quant.graphs import freeze, prepare_graphs


def load_qat_graphs(model: DKD, qat_state: dict):
    """Re-create the prepared QAT graphs for ``model`` and load their trained state."""
    init, step = prepare_graphs(model, qat=True)
    try:
        init.load_state_dict(qat_state["init"])
        # Bundles leave out the step graph's copy of the initializer, which step never runs.
        missing, unexpected = step.load_state_dict(qat_state["step"], strict=False)
    except RuntimeError as exc:
        raise DkdError(f"QAT state does not fit this model ({str(exc).splitlines()[0][:160]})"
                       ) from exc
    if unexpected or any("initializer" not in key for key in missing):
        raise DkdError(f"QAT state does not fit this model (missing {missing[:3]}, unexpected "
                       f"{unexpected[:3]})")
    return freeze(init), freeze(step)


def quantized_graphs(model: DKD, qat_state: dict, fold: bool = False, weight_bits: int = 8):
    """The QAT graphs after ``convert_pt2e``: int8 weights and quantize/dequantize pairs,
    the torch int8 model that converters export and verify against. ``fold=True`` stores
    the weights as int8 constants (same numbers; the form Core ML's converter reads).
    ``weight_bits=7`` narrows the weights to -63..63 (quant/weight_range.py)."""
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e

    from dkd_edge.quant.weight_range import narrow_weight_range

    init, step = load_qat_graphs(model, qat_state)
    narrow_weight_range(init, weight_bits)
    narrow_weight_range(step, weight_bits)
    return convert_pt2e(init, fold_quantize=fold), convert_pt2e(step, fold_quantize=fold)


def add_rounding_noise(graph: torch.nn.Module, probability: float) -> int:
    """Training only: shift each fake-quantized activation by one int8 step up or down with
    ``probability`` each way, as integer kernels that round differently from torch's float
    simulation do. The model learns not to amplify such one-step differences, which is what
    keeps an integer runtime's keypoints on the reference's. Returns the hooked count."""
    from torchao.quantization.pt2e import FakeQuantizeBase

    def hook(module, _inputs, output):
        if not module.training:
            return output
        draw = torch.rand_like(output)
        step = (draw < probability).to(output.dtype) - (draw > 1 - probability).to(output.dtype)
        return output + step * module.scale.detach().to(output.dtype)

    hooked = 0
    for module in graph.modules():
        if (isinstance(module, FakeQuantizeBase)
                and module.qscheme in (torch.per_tensor_affine, torch.per_tensor_symmetric)):
            module.register_forward_hook(hook)
            hooked += 1
    return hooked
