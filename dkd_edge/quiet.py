"""Quiet by default: third-party warnings and logs are hidden unless ``--verbose``."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import warnings
from collections.abc import Iterator

_state = {"verbose": False}

# Loggers of the converters' dependencies that talk at INFO/WARNING during a normal run.
NOISY_LOGGERS = ("coremltools", "torch", "torchao", "absl", "tensorflow", "litert_torch",
                 "ai_edge_torch", "onnxscript", "onnx_ir", "jax")


def set_verbose(verbose: bool) -> None:
    """``--verbose``: let every warning and log through; else hide them from here on."""
    _state["verbose"] = verbose
    if verbose:
        return
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    logging.getLogger().setLevel(logging.ERROR)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("GLOG_minloglevel", "3")


def verbose() -> bool:
    return _state["verbose"]


@contextlib.contextmanager
def third_party_output() -> Iterator[None]:
    """Swallow what third-party code prints (Python-level stdout/stderr and warnings) inside
    the block, unless verbose; our own errors still propagate as exceptions."""
    if _state["verbose"]:
        yield
        return
    with _native_stderr_silenced():
        with _python_output_silenced():
            yield


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """C++ libraries (TensorFlow's absl logging, oneDNN notices) write to file descriptor 2
    directly; point it at /dev/null for the block."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real descriptor (an embedded interpreter)
        yield
        return
    with open(os.devnull, "w") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


@contextlib.contextmanager
def _python_output_silenced() -> Iterator[None]:
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in NOISY_LOGGERS)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)
