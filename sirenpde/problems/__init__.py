"""Ready-made problem families, each nothing but a list of constraints."""

from .eikonal import eikonal
from .helmholtz import PointSource, helmholtz
from .pml import PML
from .poisson import poisson
from .sdf import sdf
from .wave import wave

__all__ = ["poisson", "helmholtz", "wave", "sdf", "eikonal", "PointSource", "PML"]
