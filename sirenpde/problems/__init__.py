"""Ready-made problem families, each nothing but a list of constraints."""

from .helmholtz import PointSource, helmholtz
from .pml import PML
from .poisson import poisson

__all__ = ["poisson", "helmholtz", "PointSource", "PML"]
