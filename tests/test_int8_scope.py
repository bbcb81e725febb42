"""Narrowing an int8 step graph to the layers an integer runtime keeps in parity."""

import torch

from dkd_edge.model.loading import bundled_checkpoint, load_model
from dkd_edge.quant.qat import quantized_graphs
from dkd_edge.quant.scope import QUANTIZE, apply_scope, int8_layers

TINY = bundled_checkpoint("dkd-tiny")


def _quantize_count(graph) -> int:
    return sum(1 for n in graph.graph.nodes if n.op == "call_function" and n.target == QUANTIZE)


def test_stem_scope_keeps_int8_only_in_the_stem():
    model, config, data = load_model(str(TINY))
    _, step = quantized_graphs(model, data["qat"])
    _, narrowed = quantized_graphs(model, data["qat"])
    whole = int8_layers(step)
    assert len(whole) > 10 and any(p.startswith("encoder.fuse") for p in whole)
    apply_scope(narrowed, "stem")
    kept = int8_layers(narrowed)
    assert kept[0] == "input" and len(kept) < len(whole)
    assert all(p == "input" or p.startswith("encoder.stem.") for p in kept)
    assert _quantize_count(narrowed) < _quantize_count(step)
    frame = torch.randn(1, 3, config.input_size, config.input_size)
    kernels = model.init(frame)[1]
    with torch.no_grad():
        full, _ = step(frame, kernels)
        stem, _ = narrowed(frame, kernels)
        float_heatmaps, _ = model.step(frame, kernels)
    assert torch.isfinite(stem).all()
    # fewer int8 activations: closer to the float model than the whole-encoder int8 graph
    assert (stem - float_heatmaps).abs().max() < (full - float_heatmaps).abs().max()
    assert _quantize_count(apply_scope(step, "encoder")) == _quantize_count(step)
