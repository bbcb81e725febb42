"""Loading a checkpoint never runs code embedded in it."""

import pytest
import torch

from dkd_edge.errors import DkdError
from dkd_edge.train.checkpoint import FORMAT, load_checkpoint


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
