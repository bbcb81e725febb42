"""Loading a checkpoint never runs code embedded in it."""

import pytest
import torch

from dkd_edge.errors import DkdError
from dkd_edge.model.checkpoint import FORMAT, load_checkpoint


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))  # would create the marker file if unpickled


def test_pickled_payload_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pt"
    torch.save({"format": FORMAT, "config": {"name": "dkd-tiny"}, "x": _Payload(marker)}, path)
    with pytest.raises(DkdError, match="not a readable checkpoint") as info:
        load_checkpoint(path)
    assert not marker.exists()
    assert "\n" not in str(info.value)


def test_evil_checkpoint_through_the_cli_is_one_line(tmp_path):
    from click.testing import CliRunner

    from dkd_edge.cli import cli

    marker = tmp_path / "ran"
    path = tmp_path / "evil.pt"
    torch.save({"format": FORMAT, "config": {"name": "dkd-tiny"}, "x": _Payload(marker)}, path)
    result = CliRunner().invoke(cli, ["info", "--checkpoint", str(path)])
    assert result.exit_code == 2 and not marker.exists()
    assert [line for line in result.output.splitlines() if line.strip()] == [
        line for line in result.output.splitlines() if line.startswith("Error:")]


def test_bundles_are_sealed_and_checked(tmp_path):
    from dkd_edge.model.bundle import bundle
    from dkd_edge.model.checkpoint import DIGEST_KEY, weights_digest
    from dkd_edge.model.loading import bundled_checkpoint

    for name in ("dkd-tiny", "dkd-small"):
        data = load_checkpoint(bundled_checkpoint(name))
        assert data[DIGEST_KEY] == weights_digest(data)
    sealed = bundle(bundled_checkpoint("dkd-tiny"), tmp_path / "b.pt", version="test")
    data = torch.load(sealed, weights_only=True)
    assert data["model_version"] == "test" and len(data[DIGEST_KEY]) == 64
    name = next(iter(data["model"]))
    data["model"][name] = data["model"][name].clone()
    data["model"][name].view(-1)[0] += 1  # one weight edited
    torch.save(data, tmp_path / "edited.pt")
    with pytest.raises(DkdError, match="SHA-256") as info:
        load_checkpoint(tmp_path / "edited.pt")
    assert "\n" not in str(info.value)
    (tmp_path / "cut.pt").write_bytes(sealed.read_bytes()[:4000])  # a truncated download
    with pytest.raises(DkdError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "cut.pt")
