"""sirenpde: solve PDEs and boundary-value problems with SIRENs.

    import sirenpde as sp
    problem = sp.poisson(sp.Disk((0, 0), 1), source=..., dirichlet={None: 0.0})
    solution = sp.train(problem, config=sp.TrainConfig(steps=2000))
    sp.save(solution, "out.h5"); sp.load("out.h5").evaluate(points)
"""

from ._version import __version__
from .coefficients import expression
from .config import ConfigError, load_problem_file, load_problem_text
from .constraints import AbstractConstraint, Constraint
from .domains import AbstractDomain, Ball, Box, Difference, Disk, Polygon, SpaceTime, Union
from .fields import Fields
from .io_hdf5 import load, save
from .measurements import Measurements, read_table
from .pointcloud import PointCloud, read_point_cloud
from .problem import Problem
from .problems import PML, PointSource, eikonal, helmholtz, poisson, sdf, wave
from .regions import Boundary, Interior, Region
from .sampling_strategies import RAD, LatinHypercube, NearPoints, Plain, SamplingStrategy
from .settings import ModelConfig, TrainConfig, build_model
from .siren import SIREN, Sine, siren_uniform_
from .solution import Solution
from .train import Progress, TrainingError, TrainingInterrupted, train
from .unknowns import Unknowns

__all__ = [
    "__version__",
    "AbstractConstraint", "AbstractDomain", "Ball", "Boundary", "Box", "ConfigError", "Constraint",
    "Difference", "Disk", "Fields", "Interior", "Measurements", "ModelConfig", "PML", "PointSource",
    "Polygon", "Problem", "Progress", "helmholtz",
    "Region", "SIREN", "Sine", "Solution", "SpaceTime", "TrainConfig", "TrainingError", "TrainingInterrupted",
    "Union", "Unknowns", "LatinHypercube", "NearPoints", "Plain", "RAD", "SamplingStrategy",
    "build_model", "eikonal", "expression", "load", "load_problem_file", "load_problem_text", "poisson",
    "PointCloud", "read_point_cloud", "read_table", "sdf", "wave", "save", "siren_uniform_", "train",
]
