"""Narrow an int8 graph (after ``convert_pt2e``) to the layers an integer runtime keeps in
parity with the torch reference; the rest runs float.

An integer runtime (LiteRT's int8 kernels) rounds a few activations one step away from
torch's float simulation of the same int8 graph, and every further int8 layer turns those
one-step differences into more (``docs/decisions/int8.md``). Dropping the activation
quantize/dequantize pairs
after the first layers stops the cascade: the weights stay int8-rounded, the activations
float, and the same edit is made to the torch reference.
"""

from __future__ import annotations

import torch
from torch.fx import GraphModule

from dkd_edge.errors import DkdError
from dkd_edge.quant.quantizer import _module_path

_Q = torch.ops.quantized_decomposed
QUANTIZE = _Q.quantize_per_tensor.default
DEQUANTIZE = _Q.dequantize_per_tensor.default

# The step encoder's stride-2 stem conv (its first layer, at 128x128). With the first
# inverted residual int8 too, LiteRT's 1,000-frame agreement on dkd-small v3.1 was 0.988
# (QAT); with the stem alone 0.999.
STEM = (".encoder.stem.",)
SCOPES = {"stem": STEM, "encoder": None}


def keep_int8_activations(graph: GraphModule, prefixes: tuple[str, ...],
                          inputs: bool = True) -> int:
    """Keep int8 activations only for the graph inputs (unless ``inputs`` is False) and the
    layers under ``prefixes`` (module paths); drop every other activation
    quantize/dequantize pair, in place. Returns how many pairs were dropped."""
    dropped = 0
    for node in list(graph.graph.nodes):
        if node.op != "call_function" or node.target != QUANTIZE:
            continue
        source = node.args[0]
        if (inputs and source.op == "placeholder") \
                or any(p in f".{_module_path(source)}." for p in prefixes):
            continue
        for user in list(node.users):
            if user.target == DEQUANTIZE:
                user.replace_all_uses_with(source)
                graph.graph.erase_node(user)
        if not node.users:
            graph.graph.erase_node(node)
            dropped += 1
    graph.graph.lint()
    graph.recompile()
    return dropped


def weights_only(graph: GraphModule) -> GraphModule:
    """``graph`` with int8 weights and float activations everywhere, inputs included (in
    place; returns it): the stored weights shrink four times while the runtime computes in
    float, so no activation rounding can compound."""
    keep_int8_activations(graph, (), inputs=False)
    return graph


def int8_layers(graph: GraphModule) -> list[str]:
    """The module paths whose outputs are int8 activations (for the manifest)."""
    paths = []
    for node in graph.graph.nodes:
        if node.op == "call_function" and node.target == QUANTIZE:
            source = node.args[0]
            path = "input" if source.op == "placeholder" else _module_path(source)
            if path and path not in paths:
                paths.append(path.removeprefix("model."))
    return paths


def apply_scope(step: GraphModule, scope: str) -> GraphModule:
    """``step`` narrowed in place to an int8 scope (``SCOPES``); returns it."""
    if scope not in SCOPES:
        raise DkdError(f"unknown --int8-scope {scope!r}: use one of {', '.join(SCOPES)}")
    if SCOPES[scope] is not None:
        keep_int8_activations(step, SCOPES[scope])
    return step
