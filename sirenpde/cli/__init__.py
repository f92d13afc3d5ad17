"""The command line: ``sirenpde solve | check | plot``, terminal progress, signals, launching.

Owns argument parsing, printing and exit codes — the only part of the package that prints. It
calls the library (``sirenpde.solve_file``'s run object, ``config``, ``results``) and imports any
part; nothing imports it.
"""

from .main import main

__all__ = ["main"]
