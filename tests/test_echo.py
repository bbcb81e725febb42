"""Data echoing: repeats only while no fresh batch is ready, time-reversed on odd repeats."""

import threading

import pytest
import torch

from dkd_edge.train.echo import EchoingBatches, echo_view
from dkd_edge.train.loop import lr_at


def gated_source(gates: list[threading.Event]):
    """Yields batch i once gates[i] is set."""
    for index, gate in enumerate(gates):
        assert gate.wait(10)
        yield {"index": index}


def test_echoes_fill_the_wait_and_fresh_batches_win():
    gates = [threading.Event() for _ in range(3)]
    gates[0].set()
    batches = EchoingBatches(gated_source(gates), max_echo=2)
    assert next(batches) == ({"index": 0}, 0)
    # Batch 1 is not rendered yet: the last batch comes back, at most twice.
    assert next(batches) == ({"index": 0}, 1)
    assert next(batches) == ({"index": 0}, 2)
    threading.Timer(0.2, gates[1].set).start()
    assert next(batches) == ({"index": 1}, 0)  # then it waits for the fresh one
    gates[2].set()
    for _ in range(500):  # until the filler thread has queued it
        if not batches._queue.empty():
            break
        threading.Event().wait(0.01)
    assert next(batches) == ({"index": 2}, 0)  # ready: no echo
    with pytest.raises(StopIteration):
        next(batches)


def test_max_echo_zero_never_repeats_and_errors_reach_the_trainer():
    gates = [threading.Event() for _ in range(2)]
    for gate in gates:
        gate.set()
    assert [echo for _, echo in EchoingBatches(gated_source(gates), max_echo=0)] == [0, 0]

    def broken():
        yield {"index": 0}
        raise RuntimeError("renderer died")

    batches = EchoingBatches(broken(), max_echo=0)
    next(batches)
    with pytest.raises(RuntimeError, match="renderer died"):
        next(batches)


def test_odd_echoes_play_the_clip_backwards():
    batch = {"frames": torch.arange(6.0).view(1, 3, 2), "weights": torch.arange(3.0).view(1, 3)}
    assert echo_view(batch, 0) is batch and echo_view(batch, 2) is batch
    reversed_ = echo_view(batch, 1)
    assert reversed_["frames"][0, 0].tolist() == [4.0, 5.0]
    assert reversed_["weights"][0].tolist() == [2.0, 1.0, 0.0]


def test_time_progress_anneals_the_schedule():
    assert lr_at(500, 10_000, 1.0) > 0.9  # by steps: early in the cosine
    assert lr_at(500, 10_000, 1.0, time_progress=0.5) == pytest.approx(0.51)
    assert lr_at(500, 10_000, 1.0, time_progress=1.0) == pytest.approx(0.02)


def test_close_stops_the_filler_thread():
    def endless():
        while True:
            yield {"index": 0}

    batches = EchoingBatches(endless(), max_echo=1)
    next(batches)
    batches.close(timeout=5)
    assert not batches._thread.is_alive()
