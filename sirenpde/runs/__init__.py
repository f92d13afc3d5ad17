"""A problem file run end to end: validate, train, attach the reference, compare once, save.

Owns :class:`FileRun` and :func:`solve_file` — the library's ``sirenpde solve``. It composes
``config``, ``training`` and ``results``; only the CLI imports it.
"""

from .file_run import BadOverride, FileRun, Saved, solve_file

__all__ = ["BadOverride", "FileRun", "Saved", "solve_file"]
