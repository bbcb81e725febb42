"""Core ML: ``init.mlpackage`` and ``step.mlpackage`` (mlprogram) via torch.export.

Two packages, not one multifunction package: coremltools' multifunction packages need
iOS 18, and the default minimum deployment target here is iOS 16. The state is explicit
I/O (``kernels`` in, ``kernels_out`` out). The iOS 18 ``ct.StateType`` variant
(``--coreml-state``) is not built yet and is refused with a one-line error.

- fp32: FLOAT32 compute precision.
- fp16: FLOAT16 compute precision; on iOS 16+ the inputs and outputs become float16 too,
  so the state round-trips in fp16.
- int8: the QAT / PTQ pt2e graphs (int8 weights with quantize/dequantize around
  activations), W8A8 in Core ML; always checked numerically, since coremltools has been
  seen to mis-convert quantized constants silently. ``init`` stays float unless
  ``full_integer``, as on the other targets (``docs/decisions/int8.md``).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from dkd_edge.converters.base import IO_NAMES, io_tables
from dkd_edge.errors import DkdError
from dkd_edge.quiet import third_party_output
from dkd_edge.runtime.backend import RuntimeDependencyError

LAYOUT = "NCHW"
MIN_IOS = 16


def check_available() -> None:
    try:
        import coremltools  # noqa: F401
    except ImportError as exc:
        raise RuntimeDependencyError(
            "Core ML conversion needs coremltools: pip install 'dkd-edge[convert]'") from exc


@contextlib.contextmanager
def _int8_constant_casts():
    """coremltools 9.0 casts a constant int zero point to int8 with ``mb.cast``, which MIL
    does not allow for int8 ("dtype ... can be one of fp16, fp32, int32, bool"): while
    converting, fold such casts of constants into int8 / uint8 constants instead."""
    import numpy as np
    from coremltools.converters.mil.frontend.torch import quantization_ops

    builder = quantization_ops.mb
    original = builder.cast

    def cast(*args, **kwargs):
        x, dtype = kwargs.get("x"), kwargs.get("dtype")
        if dtype in ("int8", "uint8") and x is not None and x.val is not None:
            return builder.const(val=np.asarray(x.val).astype(dtype))
        return original(*args, **kwargs)

    builder.cast = cast
    try:
        yield
    finally:
        builder.cast = original


def minimum_ios(options, precision: str) -> int:
    """The deployment target: the user's, else iOS 16 (iOS 17 for int8 activations)."""
    floor = 17 if precision == "int8" else MIN_IOS
    chosen = options.minimum_ios or floor
    if chosen < floor:
        raise DkdError(f"--minimum-ios {chosen} is too low for {precision}: Core ML's int8 "
                       f"activation quantization needs iOS {floor} or later")
    return chosen


def _target(ct, minimum_ios: int):
    name = f"iOS{minimum_ios}"
    if minimum_ios < MIN_IOS or not hasattr(ct.target, name):
        raise DkdError(f"--minimum-ios {minimum_ios} is not supported: use {MIN_IOS} or later "
                       "(the mlprogram features used here need iOS 16)")
    return getattr(ct.target, name)


def _drop_aliases(module):
    """Bypass ``aten.alias`` nodes (no-ops that pt2e can leave; coremltools rejects them)."""
    import torch

    if not isinstance(module, torch.fx.GraphModule):
        return module
    for node in list(module.graph.nodes):
        if node.op == "call_function" and node.target is torch.ops.aten.alias.default:
            node.replace_all_uses_with(node.args[0])
            module.graph.erase_node(node)
    module.recompile()
    return module


def _convert_one(ct, module, args, graph: str, precision: str, minimum_ios: int,
                 state_shape: tuple[int, ...] | None = None):
    """One graph as an mlprogram; ``state_shape`` (step only) makes the kernels an iOS 18
    float16 state that the step reads and writes instead of an input and an output."""
    import numpy as np
    import torch

    inputs, outputs = IO_NAMES[graph]
    module = _drop_aliases(module)
    states = None
    if state_shape is not None:
        from dkd_edge.converters.graphs import StatefulStep

        module, args = StatefulStep(module, state_shape, STATE_NAME).eval(), args[:1]
        inputs, outputs = ("frame",), ("heatmaps",)
        states = [ct.StateType(wrapped_type=ct.TensorType(shape=state_shape, dtype=np.float16),
                               name=STATE_NAME)]
    program = torch.export.export(module, args, strict=False).run_decompositions({})
    fp16 = precision == "fp16"
    ct_inputs = [ct.TensorType(name=name, shape=tuple(a.shape), dtype=np.float32)
                 for name, a in zip(inputs, args)]
    with third_party_output(), _int8_constant_casts():
        return ct.convert(
            program, convert_to="mlprogram", inputs=ct_inputs,
            outputs=[ct.TensorType(name=name) for name in outputs],
            minimum_deployment_target=_target(ct, minimum_ios),
            compute_precision=ct.precision.FLOAT16 if fp16 else ct.precision.FLOAT32,
            skip_model_load=True, states=states,
        )


STATE_NAME = "kernels"
STATE_IOS = 18


def check_state_options(options) -> None:
    """``--coreml-state``: Core ML states are float16 and need iOS 18."""
    if not options.coreml_state:
        return
    if options.precision != "fp16":
        raise DkdError("--coreml-state keeps the kernels in a float16 state (the only state "
                       "type Core ML has): use --precision fp16")
    if options.minimum_ios is not None and options.minimum_ios < STATE_IOS:
        raise DkdError(f"--coreml-state needs iOS {STATE_IOS} (ct.StateType): drop "
                       f"--minimum-ios {options.minimum_ios} or raise it")


def export(graphs, folder: Path, options, metadata: dict) -> list[str]:
    import coremltools as ct

    check_state_options(options)
    ios = minimum_ios(options, graphs.precision)
    if options.coreml_state:
        ios = max(ios, STATE_IOS)
    names = []
    examples = graphs.examples
    modules = graphs.export_modules()  # int8: weight constants
    descriptions = {
        "frame": "normalised RGB frame [1, 3, S, S]: (pixel / 255 - mean) / std",
        "kernels": "pose-kernel state from the previous init/step call",
        "heatmaps": "per-joint heatmaps at stride 4",
        "kernels_out": "new pose-kernel state: feed it to the next step call",
    }
    for graph in ("init", "step"):
        stateful = options.coreml_state and graph == "step"
        model = _convert_one(ct, modules[graph], examples[graph], graph, graphs.precision, ios,
                             tuple(graphs.kernels.shape) if stateful else None)
        model.user_defined_metadata.update({k: str(v) for k, v in metadata.items()})
        model.user_defined_metadata["dkd_edge.graph"] = graph
        model.short_description = f"DKD {graph} graph ({metadata.get('dkd_edge.model')})"
        spec_inputs = {i.name for i in model.get_spec().description.input}
        spec_outputs = {o.name for o in model.get_spec().description.output}
        for name, text in descriptions.items():
            if name in spec_inputs:
                model.input_description[name] = text
            elif name in spec_outputs:
                model.output_description[name] = text
        name = f"{graph}.mlpackage"
        with third_party_output():
            model.save(str(folder / name))
        _remove_debug_files(folder / name)
        names.append(name)
    return names


# coremltools leaves this beside the model; the package's Manifest.json doesn't list it.
DEBUG_FILES = ("executorch_debug_handle_mapping.json",)


def _remove_debug_files(package: Path) -> None:
    for name in DEBUG_FILES:
        (package / name).unlink(missing_ok=True)


def describe_io(graphs, options) -> dict:
    size = graphs.config.input_size
    dtype = "float16" if graphs.precision == "fp16" else "float32"
    return io_tables(graphs, (1, 3, size, size), dtype, dtype, dtype)


def manifest_extra(options) -> dict:
    ios = minimum_ios(options, options.precision)
    if options.coreml_state:
        ios = max(ios, STATE_IOS)
    extra = {"minimum_deployment_target": f"iOS{ios}",
             "packages": ["init.mlpackage", "step.mlpackage"]}
    if options.coreml_state:
        extra["state"] = {
            "name": STATE_NAME, "dtype": "float16", "in": "step.mlpackage",
            "use": "init returns kernels as an output; write them into the step model's "
                   "MLState (state.withMultiArray(for: \"kernels\")), then call step with the "
                   "frame alone: it reads and overwrites the state; the manifest's step "
                   "inputs/outputs describe the backend contract (kernels in, kernels_out "
                   "out), which the runtime emulates by reading the state back"}
    return {"coreml": extra}


def open_backend(folder: Path, options):
    """Core ML ``predict`` on macOS; the numpy MIL interpreter everywhere else."""
    import sys

    if sys.platform == "darwin":
        from dkd_edge.runtime.coreml_backend import CoreMLBackend

        return CoreMLBackend(folder)
    from dkd_edge.runtime.mil.backend import MILBackend

    return MILBackend(folder)


def layout(options) -> str:
    return LAYOUT


def extra_parity(folder: Path, options, frames, reference) -> dict:
    return {}
