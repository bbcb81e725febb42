"""Data echoing: train on a batch again while the renderer has no fresh one ready.

On a GPU the CPU renderer is the limit (about 1,100 rendered frames/s with 14 workers on
one H200), so the GPU waits for batches. ``EchoingBatches`` prefetches the loader's
batches in a background thread; when none is waiting, it hands the last batch back, up to
``max_echo`` times, instead of blocking (Choi et al., "Faster Neural Network Training with
Data Echoing", 2019). Every fresh batch is still trained on; echoes only fill idle time.

An echo of a clip batch is time-reversed on odd repeats (played backwards, the motion is
still real motion), and the trainer draws fresh swap and drift perturbations for it. Whether
a step echoes depends on timing, so an echoing run is not bit-reproducible.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

import torch

_DONE = object()


class EchoingBatches:
    """Iterator of ``(batch, echo)``: ``echo`` is 0 for a fresh batch, 1, 2, ... for repeats.

    Args:
        source: the batch iterator (a DataLoader's), read in a daemon thread.
        max_echo: most repeats of one batch while waiting; 0 never echoes (and blocks as a
            plain loader does).
        prefetch: fresh batches held ready.
    """

    def __init__(self, source: Iterator[dict], max_echo: int, prefetch: int = 2):
        if max_echo < 0:
            raise ValueError("max_echo must be >= 0")
        self.max_echo = max_echo
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, prefetch))
        self._last: dict | None = None
        self._echoes = 0
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._fill, args=(source,), daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        """Queue ``item`` unless closed meanwhile; False once closed."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _fill(self, source: Iterator[dict]) -> None:
        try:
            for batch in source:
                if not self._put(batch):
                    return  # closed: drop the source (a DataLoader's workers shut down)
        except BaseException as error:  # handed to the consumer, not lost in the thread
            self._error = error
        self._put(_DONE)

    def close(self, timeout: float = 10.0) -> None:
        """Stop prefetching and let go of the source."""
        self._stop.set()
        self._thread.join(timeout)

    def __iter__(self) -> EchoingBatches:
        return self

    def __next__(self) -> tuple[dict, int]:
        item = None
        if self._last is not None and self._echoes < self.max_echo:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                self._echoes += 1
                return self._last, self._echoes
        if item is None:
            item = self._queue.get()
        if item is _DONE:
            self._queue.put(_DONE)  # later calls end too
            if self._error is not None:
                raise self._error
            raise StopIteration
        self._last, self._echoes = item, 0
        return item, 0


def echo_view(batch: dict[str, torch.Tensor], echo: int) -> dict[str, torch.Tensor]:
    """The clip batch as trained on at repeat ``echo``: odd repeats play it backwards (time
    is dim 1 of every tensor)."""
    if echo % 2 == 0:
        return batch
    return {k: v.flip(1) for k, v in batch.items()}
