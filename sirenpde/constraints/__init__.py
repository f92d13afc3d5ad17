"""The problem's core: constraints (a residual paired with a region) and the Problem that lists them.

Owns :class:`AbstractConstraint`, :class:`Constraint`, :class:`Problem` and the naming of
constraints. May import ``domains``, ``derivatives`` (the Fields seam), ``model`` (the unknowns a
problem fits) and ``sampling``'s strategy declarations; never training, config or the CLI.
"""

from .constraint import AbstractConstraint, Constraint

__all__ = ["AbstractConstraint", "Constraint"]
