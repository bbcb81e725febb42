"""Loading DKD models: the bundled default or a checkpoint, weights checked against config."""

from __future__ import annotations

from pathlib import Path

from dkd_edge.errors import DkdError
from dkd_edge.model.config import DEFAULT_CONFIG, DKDConfig, get_config
from dkd_edge.model.dkd import DKD

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"


def bundled_checkpoint(name: str = DEFAULT_CONFIG) -> Path:
    """Path of the weights shipped inside the package for a config."""
    return WEIGHTS_DIR / f"{name}.pt"


def load_model(checkpoint: str | Path | None = None, config: str | None = None
               ) -> tuple[DKD, DKDConfig, dict]:
    """A DKD model in eval mode with its config and the raw checkpoint dict.

    With no checkpoint, the bundled weights of ``config`` (default: dkd-small) are used.
    A checkpoint trained as another config than ``config`` is refused.
    """
    from dkd_edge.model.checkpoint import checkpoint_config, load_checkpoint, load_model_state

    if checkpoint is None:
        path = bundled_checkpoint(config or DEFAULT_CONFIG)
        if not path.is_file():
            raise DkdError(
                f"no bundled weights for {config or DEFAULT_CONFIG!r} ({path.name}); pass "
                "--checkpoint FILE or train one with `dkd-edge train`")
        checkpoint = path
    data = load_checkpoint(checkpoint)
    cfg = checkpoint_config(data)
    if config is not None and get_config(config).name != cfg.name:
        raise DkdError(f"{checkpoint} holds a {cfg.name!r} model, not {config!r}: drop "
                       "--config or pass a matching checkpoint")
    model = DKD(cfg)
    load_model_state(model, data["model"], str(checkpoint))
    return model.eval(), cfg, data


def load_initializer(model: DKD, source: str | Path) -> None:
    """Replace the pose initializer's weights with those of another checkpoint of the same
    config (e.g. a longer-trained initializer under an already trained step path)."""
    import torch

    from dkd_edge.model.checkpoint import checkpoint_config, load_checkpoint

    if not Path(source).is_file():
        raise DkdError(f"--initializer-from {source}: no such checkpoint")
    data = load_checkpoint(source)
    if checkpoint_config(data).name != model.config.name:
        raise DkdError(f"--initializer-from {source} was trained as "
                       f"{checkpoint_config(data).name!r}, not {model.config.name!r}")
    prefix = "initializer."
    state = {k[len(prefix):]: v.float() if torch.is_floating_point(v) else v
             for k, v in data["model"].items() if k.startswith(prefix)}
    try:
        model.initializer.load_state_dict(state)
    except RuntimeError as exc:
        raise DkdError(
            f"--initializer-from {source}: its initializer does not fit this model's (the "
            f"config {model.config.name!r} changed between them: "
            f"{str(exc).splitlines()[-1].strip()[:120]}); pass an initializer trained with "
            "the same config version") from exc
