"""The table of conversion targets: names, aliases, precisions, files and options.

| target | aliases            | precisions       | files                                  |
|--------|--------------------|------------------|----------------------------------------|
| onnx   |                    | fp32, fp16, int8 | init.onnx, step.onnx                   |
| tflite | litert, android    | fp32, fp16, int8 | model.tflite (signatures init, step)   |
| coreml | mlpackage, ios     | fp32, fp16, int8 | init.mlpackage, step.mlpackage         |
| executorch | pte            | fp32             | init.pte, step.pte (XNNPACK)           |
| coreai | aimodel            | fp32             | model.aimodel (functions init, step)   |
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from dkd_edge.errors import DkdError

PRECISIONS = ("fp32", "fp16", "int8")


@dataclass(frozen=True)
class TargetSpec:
    name: str
    aliases: tuple[str, ...]
    precisions: tuple[str, ...]
    files: str
    options: tuple[str, ...]  # target-specific ConvertOptions fields it reads
    module: str  # dkd_edge.converters.<module>
    int8_scope: str = "stem"  # default step layers with int8 activations (quant/scope.py)
    int8_weight_bits: int = 8  # default int8 weight range (quant/weight_range.py)
    int8_init: str = "weights"  # default init graph in int8 (options.INT8_INIT_MODES)


TARGETS: dict[str, TargetSpec] = {
    "onnx": TargetSpec("onnx", (), PRECISIONS, "init.onnx, step.onnx", ("opset",),
                       "onnx_target", int8_weight_bits=7),
    "tflite": TargetSpec("tflite", ("litert", "android"), PRECISIONS,
                         "model.tflite (signatures init, step)",
                         ("via", "via_python", "opset"),  # opset: the --via routes' ONNX
                         "tflite_target"),
    "coreml": TargetSpec("coreml", ("mlpackage", "ios"), PRECISIONS,
                         "init.mlpackage, step.mlpackage",
                         ("minimum_ios", "coreml_state"), "coreml_target"),
    # int8 is not offered yet: XNNPACK refuses the int8 step graph's matcher partition
    # (``docs/decisions/int8.md``).
    "executorch": TargetSpec("executorch", ("pte",), ("fp32",),
                             "init.pte, step.pte (XNNPACK)", (), "executorch_target"),
    "coreai": TargetSpec("coreai", ("aimodel",), ("fp32",),
                         "model.aimodel (functions init, step)", (), "coreai_target"),
}
ALIASES = {alias: spec.name for spec in TARGETS.values() for alias in (spec.name, *spec.aliases)}


def _did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def resolve_target(name: str) -> TargetSpec:
    """A target by name or alias (case-insensitive); typos get a suggestion."""
    key = name.strip().lower()
    if key not in ALIASES:
        raise DkdError(f"unknown target {name!r}{_did_you_mean(key, ALIASES)}: use one of "
                       f"{', '.join(sorted(ALIASES))}")
    return TARGETS[ALIASES[key]]


def resolve_precision(name: str) -> str:
    key = name.strip().lower()
    if key not in PRECISIONS:
        raise DkdError(f"unknown precision {name!r}{_did_you_mean(key, PRECISIONS)}: use one "
                       f"of {', '.join(PRECISIONS)}")
    return key


def check_precision(spec: TargetSpec, precision: str) -> None:
    """Refuse a precision the target does not offer, in one line."""
    if precision not in spec.precisions:
        raise DkdError(f"{spec.name} offers {', '.join(spec.precisions)}, not {precision}: "
                       f"choose one of those or another target")


# Each target-specific ConvertOptions field and its command-line flag.
OPTION_FLAGS = {"opset": "--opset", "via": "--via", "via_python": "--via-python",
                "minimum_ios": "--minimum-ios", "coreml_state": "--coreml-state"}


def check_target_options(specs: list[TargetSpec], options) -> None:
    """Refuse a target-specific option that none of ``specs`` reads (Ultralytics-style):
    one line naming the targets it applies to and the options these targets take."""
    from dataclasses import fields

    defaults = {f.name: f.default for f in fields(options)}
    for name, flag in OPTION_FLAGS.items():
        if getattr(options, name) == defaults[name]:
            continue
        if not any(name in spec.options for spec in specs):
            owners = [s.name for s in TARGETS.values() if name in s.options]
            taken = sorted({OPTION_FLAGS[o] for s in specs for o in s.options})
            raise DkdError(f"{flag} applies to {', '.join(owners)} only; "
                           f"{', '.join(s.name for s in specs)} "
                           f"take{'s' if len(specs) == 1 else ''} "
                           f"{', '.join(taken) or 'no target-specific options'}")


def options_for(spec: TargetSpec, options):
    """``options`` with the other targets' fields back at their defaults (a conversion to
    several targets passes each only what it reads)."""
    from dataclasses import fields, replace

    reset = {f.name: f.default for f in fields(options)
             if f.name in OPTION_FLAGS and f.name not in spec.options}
    return replace(options, **reset)


def targets_table() -> str:
    """The table above, rendered for ``dkd-edge convert --help`` and the README."""
    rows = ["| target | aliases | precisions | files |", "|---|---|---|---|"]
    for spec in TARGETS.values():
        rows.append(f"| {spec.name} | {', '.join(spec.aliases) or '-'} | "
                    f"{', '.join(spec.precisions)} | {spec.files} |")
    return "\n".join(rows)
