"""The ``dkd-edge`` command line."""

from dkd_edge.cli.main import cli, main

__all__ = ["cli", "main"]
