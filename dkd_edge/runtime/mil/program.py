"""Load an ``.mlpackage`` (mlprogram) and run its ``main`` function with numpy."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dkd_edge.errors import DkdError
from dkd_edge.runtime.mil.ops import OPS
from dkd_edge.runtime.mil.proto import model_pb2
from dkd_edge.runtime.mil.values import WeightFile, decode_value, dtype_of


class UnsupportedOpError(DkdError):
    """The mlprogram uses an op the numpy interpreter does not implement."""


def _model_file(package: Path) -> Path:
    if package.is_file():
        return package
    found = sorted((package / "Data").rglob("*.mlmodel")) if (package / "Data").is_dir() else []
    if not found:
        raise DkdError(f"{package}: no Data/.../model.mlmodel inside; not an .mlpackage")
    return found[0]


STATE_OPS = ("read_state", "write_state")


class MILProgram:
    """A parsed mlprogram: ``run({input name: array}) -> {output name: array}``."""

    def __init__(self, package: str | Path, function: str = "main"):
        package = Path(package)
        model_path = _model_file(package)
        pb = model_pb2()
        self.mil = pb.MIL__pb2
        spec = pb.Model()
        try:
            spec.ParseFromString(model_path.read_bytes())
        except Exception as exc:
            raise DkdError(f"{model_path}: not a readable Core ML model ({exc})") from exc
        if spec.WhichOneof("Type") != "mlProgram":
            raise DkdError(f"{package}: not an mlprogram (type {spec.WhichOneof('Type')})")
        functions = spec.mlProgram.functions
        if function not in functions:
            raise DkdError(f"{package}: no function {function!r} (has {sorted(functions)})")
        fn = functions[function]
        self.block = fn.block_specializations[fn.opset]
        self.inputs = [(i.name, dtype_of(i.type, self.mil)) for i in fn.inputs
                       if i.type.WhichOneof("type") != "stateType"]
        # iOS 18 states (ct.StateType): read with read_state, written with write_state.
        self.states = {i.name: dtype_of(i.type.stateType.wrappedType, self.mil)
                       for i in fn.inputs if i.type.WhichOneof("type") == "stateType"}
        self.output_names = [o.name for o in spec.description.output]
        self.metadata = dict(spec.description.metadata.userDefined)
        self.weights = WeightFile(model_path.parent / "weights" / "weight.bin")
        self.spec = spec
        self._constants: dict[str, object] = {}
        unknown = sorted({o.type for o in self.block.operations if o.type != "const"}
                         - set(OPS) - set(STATE_OPS))
        if unknown:
            raise UnsupportedOpError(
                f"{package}: the numpy MIL interpreter does not implement {', '.join(unknown)}")
        self._load_constants()

    def _load_constants(self) -> None:
        for operation in self.block.operations:
            if operation.type == "const":
                value = decode_value(operation.attributes["val"], self.mil, self.weights)
                self._constants[operation.outputs[0].name] = value

    def _argument(self, argument, env):
        items = []
        for binding in argument.arguments:
            if binding.WhichOneof("binding") == "name":
                items.append(env[binding.name])
            else:
                items.append(decode_value(binding.value, self.mil, self.weights))
        return items

    def run(self, feeds: dict[str, np.ndarray], state: dict[str, np.ndarray] | None = None
            ) -> dict[str, np.ndarray]:
        """Run ``main``; ``state`` holds the program's states, updated in place as Core ML
        updates an ``MLState``."""
        env: dict[str, object] = dict(self._constants)
        state = {} if state is None else state
        missing = sorted(set(self.states) - set(state))
        if missing:
            raise DkdError(f"missing state {', '.join(missing)}")
        for name, dtype in self.inputs:
            if name not in feeds:
                raise DkdError(f"missing input {name!r}")
            env[name] = np.asarray(feeds[name]).astype(dtype, copy=False)
        for operation in self.block.operations:
            if operation.type == "const":
                continue
            if operation.type in STATE_OPS:
                self._state_op(operation, env, state)
                continue
            kwargs = {}
            for key, argument in operation.inputs.items():
                items = self._argument(argument, env)
                kwargs[key] = items if key == "values" else items[0]
            for key, value in operation.attributes.items():  # constexpr ops keep data here
                if key not in kwargs and key != "name":
                    kwargs[key] = decode_value(value, self.mil, self.weights)
            try:
                result = OPS[operation.type](**kwargs)
            except TypeError as exc:
                raise UnsupportedOpError(
                    f"MIL op {operation.type} with inputs {sorted(kwargs)}: {exc}") from exc
            outputs = operation.outputs
            results = result if isinstance(result, tuple) else (result,)
            for out, value in zip(outputs, results):
                declared = dtype_of(out.type, self.mil) if out.type.WhichOneof(
                    "type") == "tensorType" else None
                value = np.asarray(value)
                env[out.name] = value.astype(declared, copy=False) if declared is not None \
                    else value
        names = list(self.block.outputs)
        return {public: env[internal] for public, internal in zip(self.output_names, names)}

    def _state_op(self, operation, env, state) -> None:
        name = operation.inputs["input"].arguments[0].name
        if operation.type == "read_state":
            env[operation.outputs[0].name] = np.array(state[name], copy=True)
        else:  # write_state
            data = self._argument(operation.inputs["data"], env)[0]
            state[name] = np.asarray(data).astype(self.states[name])
