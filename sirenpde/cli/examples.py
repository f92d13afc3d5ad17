"""``sirenpde examples [DEST]``: copy the example problem files shipped with the package into a folder.

The files are the package data ``sirenpde.examples`` (the repository's ``problems/`` folder): the YAML
files and the data they read (``data/``), found with :mod:`importlib.resources`, so the command works
from a wheel, an editable install or a zip alike.
"""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from .solve import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK

if TYPE_CHECKING:  # importlib.resources.abc is Python 3.11+; the name is only an annotation here
    from importlib.resources.abc import Traversable

__all__ = ["add_parser", "examples", "DEFAULT_DEST"]

DEFAULT_DEST = "sirenpde-examples"
# What makes the folder a package, and what Python writes into it: not examples.
_NOT_COPIED = ("__init__.py", "__pycache__")


def add_parser(sub) -> None:
    """Add the ``examples`` verb to the sub-command parsers ``sub``."""
    p = sub.add_parser("examples", help="copy the example problem files and their data into a folder")
    p.add_argument("dest", nargs="?", default=DEFAULT_DEST, metavar="DEST",
                   help=f"the folder to create (default: ./{DEFAULT_DEST})")
    p.add_argument("--force", action="store_true",
                   help="copy into DEST even if it is not empty, overwriting files of the same name")


def examples(args) -> int:
    """``sirenpde examples [DEST] [--force]``."""
    dest = Path(args.dest)
    if dest.exists() and not dest.is_dir():
        return _bad(f"{dest}: exists and is not a folder; name a new folder")
    if dest.is_dir() and any(dest.iterdir()) and not args.force:
        return _bad(f"{dest}: the folder is not empty; name a new one, or add --force to copy the"
                    " examples into it (files of the same name are overwritten)")
    try:
        written = _copy_tree(files("sirenpde.examples"), dest)
    except OSError as err:
        return _bad(f"{dest}: cannot write: {' '.join(str(err).split())}", EXIT_FAILED)
    problems = [p for p in written if p.suffix == ".yaml" and p.parent == dest]
    print(f"copied {len(problems)} problem files and their data ({len(written)} files in all) to {dest}")
    print(f"try: sirenpde check {dest / 'poisson.yaml'}")
    return EXIT_OK


def _copy_tree(source: Traversable, dest: Path) -> list[Path]:
    """Copy ``source`` (a package-data folder) into ``dest``, recursively; returns the files written."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for item in sorted(source.iterdir(), key=lambda t: t.name):
        if item.name in _NOT_COPIED or item.name.endswith(".pyc"):
            continue
        target = dest / item.name
        if item.is_dir():
            written += _copy_tree(item, target)
        else:
            target.write_bytes(item.read_bytes())
            written.append(target)
    return written


def _bad(message: str, code: int = EXIT_BAD_INPUT) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code
