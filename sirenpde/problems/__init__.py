"""Ready-made problem families, each nothing but a list of constraints."""

from .helmholtz import PointSource, helmholtz
from .pml import PML
from .poisson import poisson
from .wave import wave

__all__ = ["poisson", "helmholtz", "wave", "PointSource", "PML"]
