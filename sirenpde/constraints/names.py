"""Constraint names: ``kind:part``, such as ``dirichlet:outer`` or ``source:0``.

The names label losses in logs, in the history and in HDF5 files, so the problem builders and the
config layer (which sets points and weights by name) must spell them alike: both call
:func:`constraint_name`.
"""

from __future__ import annotations

__all__ = ["constraint_name"]

WHOLE_BOUNDARY = "boundary"


def constraint_name(kind: str, part: str | int | None) -> str:
    """``kind:part``; ``part`` ``None`` (or empty: the whole boundary) is written ``boundary``.

    Args:
        kind: the condition or term, e.g. ``"dirichlet"``, ``"periodic"``, ``"source"``.
        part: a boundary part, a periodic axis, a source's index, ``"focus"``; ``None`` for the
            whole boundary.
    """
    return f"{kind}:{WHOLE_BOUNDARY if part in (None, '') else part}"
