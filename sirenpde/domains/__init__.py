"""Regions of space (and space-time) and the samplers that draw fresh points from them."""

from .ball import Ball, Disk
from .base import AbstractDomain, UnknownPartError
from .box import Box
from .difference import Difference
from .polygon import Polygon
from .sampling import SAMPLERS, LatinHypercubeSampler, Sampler, SobolSampler, UniformSampler, make_sampler
from .spacetime import SpaceTime, TimeInterval
from .union import Union

__all__ = [
    "AbstractDomain",
    "Ball",
    "Box",
    "Difference",
    "Disk",
    "LatinHypercubeSampler",
    "Polygon",
    "SAMPLERS",
    "Sampler",
    "SobolSampler",
    "SpaceTime",
    "TimeInterval",
    "UniformSampler",
    "Union",
    "UnknownPartError",
    "make_sampler",
]
