"""Ready-made problem families, each nothing but a list of constraints."""

from .poisson import poisson

__all__ = ["poisson"]
