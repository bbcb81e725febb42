"""Options every command spells the same way: ``--json [PATH]``."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import click

STDOUT = "-"


def json_option(what: str):
    """``--json`` prints ``what`` as JSON on stdout; ``--json PATH`` writes it to PATH."""
    return click.option(
        "--json", "as_json", is_flag=False, flag_value=STDOUT, default=None, metavar="[PATH]",
        help=f"{what} as JSON: printed, or written to PATH.")


def emit_json(data, as_json: str | None) -> None:
    """Print ``data`` (``--json``) or write it atomically to the path given (``--json
    PATH``)."""
    text = json.dumps(data)
    if as_json in (None, STDOUT):
        click.echo(text)
        return
    path = Path(as_json)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(handle, "w") as out:
        out.write(text + "\n")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)
    os.replace(temporary, path)
    click.echo(f"wrote {path}", err=True)
