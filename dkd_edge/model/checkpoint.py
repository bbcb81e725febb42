"""Checkpoints: weights plus the config and preprocessing that travel with them."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch

from dkd_edge.errors import DkdError
from dkd_edge.model.config import DKDConfig

FORMAT = "dkd-edge-checkpoint"


def save_checkpoint(path: Path, payload: dict) -> None:
    """Write atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        torch.save({"format": FORMAT, **payload}, temporary)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


DIGEST_KEY = "sha256"


def _feed(digest, value, key: str) -> None:
    digest.update(key.encode())
    if torch.is_tensor(value):
        tensor = value.detach().cpu().contiguous()
        digest.update(f"{tensor.dtype}{tuple(tensor.shape)}".encode())
        digest.update(tensor.flatten().view(torch.uint8).numpy().tobytes())
    elif isinstance(value, dict):
        for name in sorted(value, key=str):
            _feed(digest, value[name], f"{key}/{name}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _feed(digest, item, f"{key}[{index}]")
    else:
        digest.update(repr(value).encode())


def weights_digest(payload: dict) -> str:
    """SHA-256 over a payload's contents (every tensor's dtype, shape and bytes, every plain
    value), independent of how torch.save laid out the file; the digest key itself is left
    out."""
    import hashlib

    digest = hashlib.sha256()
    _feed(digest, {k: v for k, v in payload.items() if k != DIGEST_KEY}, "")
    return digest.hexdigest()


def load_checkpoint(path: str | Path) -> dict:
    """Read a dkd-edge checkpoint; corrupt or foreign files raise a one-line DkdError."""
    path = Path(path)
    if not path.is_file():
        raise DkdError(f"{path}: checkpoint not found")
    try:
        # Tensors and plain containers only: a pickled payload is refused, never run.
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise DkdError(f"{path}: not a readable checkpoint ({type(exc).__name__}); "
                       "re-download or re-train it") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT or "config" not in data:
        raise DkdError(f"{path}: not a dkd-edge checkpoint (no config inside)")
    if DIGEST_KEY in data and weights_digest(data) != data[DIGEST_KEY]:
        raise DkdError(f"{path}: contents differ from the SHA-256 sealed into it (corrupt or "
                       "edited); reinstall dkd-edge or bundle the weights again")
    return data


def checkpoint_config(data: dict) -> DKDConfig:
    return DKDConfig.from_dict(data["config"])


def float_state(model: torch.nn.Module) -> dict:
    """A CPU copy of the weights (a checkpoint written on a GPU loads anywhere)."""
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def training_payload(model: torch.nn.Module, stage: str, step: int, options: dict,
                     **extra) -> dict:
    """The one checkpoint layout every training stage writes: the config and preprocessing
    that travel with the weights, the stage and step, the float weights, the options that
    trained them, and ``extra`` (optimizer and stage state in ``last.pt``; the QAT graphs)."""
    config = model.config
    return {"config": config.to_dict(), "preprocessing": config.preprocessing(),
            "stage": stage, "step": step, "model": float_state(model), "options": options,
            **extra}


def load_model_state(model: torch.nn.Module, state: dict, source: str,
                     allow_missing: bool = False) -> list[str]:
    """Load weights, turning a shape mismatch (another config) into a clear error.

    ``allow_missing`` accepts a checkpoint without some of the model's parameters, or with
    some in another shape (a stage that adds or widens modules starts from the previous
    one); those parameters keep their fresh initialisation and their names are returned.
    """
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    reshaped = []
    if allow_missing:  # a parameter whose shape changed between stages starts fresh too
        own = model.state_dict()
        reshaped = [k for k, v in state.items() if k in own and own[k].shape != v.shape]
        state = {k: v for k, v in state.items() if k not in reshaped}
    try:
        result = model.load_state_dict(state, strict=not allow_missing)
        if result.unexpected_keys:
            raise RuntimeError(f"unexpected keys {result.unexpected_keys[:3]}")
        return list(result.missing_keys)  # includes the reshaped ones
    except RuntimeError as exc:
        first = str(exc).splitlines()[0][:200]
        raise DkdError(f"{source}: weights do not fit this model config ({first}); "
                       "pass the --config (and any --set) the checkpoint was trained with"
                       ) from exc


# Joint-specific tensors and the axis that indexes joints (everything else in a DKD model is
# shared across joints, so permuting these permutes the joints the model predicts).
_JOINT_AXES = (("initializer.out.weight", 0), ("initializer.out.bias", 0),
               ("matcher.bias", 1), ("matcher.static.weight", 0))


def exchange_joint_sides(state: dict, observers: tuple[str, ...] = ()) -> dict:
    """A state dict with every left/right joint pair exchanged (``FLIP_PAIRS``).

    For weights trained before v5.0 (CHANGELOG), when Penn Action's ``left_*`` columns (the
    person's right) were read as the person's left. ``observers`` names per-channel
    quantization observers of the initializer's output conv (QAT graphs), whose entries
    follow its channels.
    """
    from dkd_edge.skeleton import FLIP_PAIRS

    order = torch.tensor(FLIP_PAIRS)
    out = dict(state)
    for name, value in state.items():
        for suffix, axis in _JOINT_AXES:
            if name.endswith(suffix) and value.shape[axis] == len(FLIP_PAIRS):
                out[name] = value.index_select(axis, order)
        if any(name.startswith(prefix) for prefix in observers) and value.ndim == 1 \
                and value.shape[0] == len(FLIP_PAIRS):
            out[name] = value.index_select(0, order)
    return out
